/** Runs tasks in submission order, at most `concurrency` at once, so a burst of events never opens a burst of sockets. */
export class TaskQueue {
  private readonly waiting: Array<() => Promise<void>> = []
  private readonly running = new Set<Promise<void>>()

  /** `onError` hears of tasks that threw: each task is meant to handle its own failures, this is the net under it. */
  constructor(
    private readonly concurrency: number,
    private readonly onError: (error: Error) => void,
  ) {}

  add(task: () => Promise<void>): void {
    this.waiting.push(task)
    this.next()
  }

  /** Resolves once every task added so far, and every task they led to, has settled. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running])
  }

  private next(): void {
    while (this.running.size < this.concurrency && this.waiting.length > 0) {
      const task = this.waiting.shift()!
      const run: Promise<void> = task()
        .catch((error: Error) => this.onError(error))
        .finally(() => {
          this.running.delete(run)
          this.next()
        })
      this.running.add(run)
    }
  }
}
