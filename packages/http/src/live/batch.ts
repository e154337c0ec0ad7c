/**
 * Groups what a stream has ready at once: each batch holds the next message and every further
 * one that arrives before the event loop turns (`setImmediate`). A consumer that sends a whole
 * state per batch (tartvm's task JSON) then sends once per burst of lines, not once per line.
 */
export async function* batched<T>(source: AsyncIterable<T>): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]()
  let pending: Promise<IteratorResult<T>> | undefined
  try {
    for (;;) {
      const first = await (pending ?? iterator.next())
      pending = undefined
      if (first.done) return
      const batch = [first.value]
      for (;;) {
        const read = iterator.next()
        const ready = await Promise.race([read, new Promise<undefined>((resolve) => setImmediate(resolve, undefined))])
        if (ready === undefined) {
          pending = read
          break
        }
        if (ready.done) {
          yield batch
          return
        }
        batch.push(ready.value)
      }
      yield batch
    }
  } finally {
    if (!pending) await iterator.return?.()
    else
      void pending.then(
        () => iterator.return?.(),
        () => {},
      )
  }
}
