/**
 * An unbounded queue read as an async iterator: producers `push` from event listeners, one
 * consumer awaits `next()`. `end` lets the consumer drain what is queued, then finish.
 */
export class AsyncQueue<T> {
  private readonly items: T[] = []
  private waiting: ((result: IteratorResult<T>) => void) | undefined
  private ended = false

  push(item: T): void {
    if (this.ended) return
    if (this.waiting) {
      const resolve = this.waiting
      this.waiting = undefined
      resolve({ value: item, done: false })
    } else this.items.push(item)
  }

  end(): void {
    this.ended = true
    if (this.items.length === 0 && this.waiting) {
      const resolve = this.waiting
      this.waiting = undefined
      resolve({ value: undefined, done: true })
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false })
    if (this.ended) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve) => (this.waiting = resolve))
  }
}

/**
 * The iterator's next value, or `undefined` once the signal aborts. One listener per call, removed
 * when the read settles: racing every read against one long-lived promise would pile up reactions.
 */
export function nextUnlessAborted<T>(iterator: AsyncIterator<T>, signal: AbortSignal | undefined): Promise<IteratorResult<T> | undefined> {
  if (!signal) return iterator.next()
  if (signal.aborted) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined)
    signal.addEventListener('abort', onAbort, { once: true })
    iterator.next().then(
      (result) => {
        signal.removeEventListener('abort', onAbort)
        resolve(result)
      },
      (error) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/** A controller aborted with `parent` (whose listener it drops once aborted itself). */
export function linkedController(parent: AbortSignal | undefined): AbortController {
  const controller = new AbortController()
  if (!parent) return controller
  if (parent.aborted) {
    controller.abort(parent.reason)
    return controller
  }
  const onAbort = () => controller.abort(parent.reason)
  parent.addEventListener('abort', onAbort, { once: true })
  controller.signal.addEventListener('abort', () => parent.removeEventListener('abort', onAbort), { once: true })
  return controller
}
