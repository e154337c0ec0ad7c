interface Batch<T> {
  items: T[]
  promise: Promise<void>
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * Collects items into batches and hands each batch to `flush`, one flush at
 * a time: items that arrive while a flush runs wait for the next one, so a
 * thousand concurrent writes share one write call and one disk flush instead
 * of paying for a thousand.
 */
export class GroupCommit<T> {
  private next: Batch<T> | undefined
  private flushing: Promise<void> | undefined
  private running: Promise<void> | undefined

  constructor(private readonly flush: (items: T[]) => Promise<void>) {}

  /**
   * Queues items for the next flush and resolves once it has succeeded.
   * With no items, resolves once everything queued so far is flushed.
   */
  add(items: T[]): Promise<void> {
    if (!items.length) return this.next?.promise ?? this.flushing ?? Promise.resolve()
    if (!this.next) {
      let resolve!: () => void
      let reject!: (error: unknown) => void
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)))
      this.next = { items: [], promise, resolve, reject }
      // Waiting one turn lets every write issued in this turn join the batch.
      this.running ??= new Promise((resolve) => setImmediate(resolve)).then(() => this.run())
    }
    const queued = this.next.items
    for (const item of items) queued.push(item)
    return this.next.promise
  }

  /** Resolves once every queued item has been flushed (or its flush has failed). */
  async drain(): Promise<void> {
    while (this.running) await this.running
  }

  private async run(): Promise<void> {
    while (this.next) {
      const batch = this.next
      this.next = undefined
      this.flushing = batch.promise
      try {
        await this.flush(batch.items)
        batch.resolve()
      } catch (error) {
        batch.reject(error)
      }
    }
    this.flushing = undefined
    this.running = undefined
  }
}
