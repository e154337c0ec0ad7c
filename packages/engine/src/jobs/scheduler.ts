import PQueue from 'p-queue'
import type { JobWait } from './types'

export interface SchedulerOptions {
  concurrency: number
  concurrencyKeys: Record<string, number>
}

/** Shared by every job waiting for a global slot: most of a burst's queued jobs. */
const waitingForConcurrency: JobWait = Object.freeze({ reason: 'concurrency' })

/**
 * Admits jobs under a global limit plus a limit per concurrency key (1 unless
 * configured). A keyed job first takes a slot of its key's queue, then one of
 * the global queue, so jobs of one key keep their order while other keys pass.
 */
export class Scheduler {
  private readonly global: PQueue
  private readonly keyed = new Map<string, PQueue>()

  constructor(private readonly options: SchedulerOptions) {
    this.global = new PQueue({ concurrency: options.concurrency })
  }

  /** Why a job submitted now would wait, or undefined when it would run at once. */
  waitReason(key: string | undefined): JobWait | undefined {
    if (key !== undefined) {
      const queue = this.keyed.get(key)
      if (queue && queue.pending + queue.size >= this.limitOf(key)) return { reason: 'concurrencyKey', key }
    }
    if (this.global.pending + this.global.size >= this.options.concurrency) return waitingForConcurrency
    return undefined
  }

  /** Queues `task`; `onAdmittedByKey` runs when the key's slot is taken and the job moves on to the global queue. */
  schedule(task: () => Promise<void>, key: string | undefined, onAdmittedByKey?: () => void): void {
    if (key === undefined) {
      void this.global.add(task)
      return
    }
    const queue = this.keyQueue(key)
    void queue.add(() => {
      onAdmittedByKey?.()
      return this.global.add(task)
    })
  }

  /** The limits it was made with; a dispatcher holds them across nodes. */
  get limits(): Readonly<SchedulerOptions> {
    return this.options
  }

  get running(): number {
    return this.global.pending
  }

  get queued(): number {
    return this.global.size + [...this.keyed.values()].reduce((sum, queue) => sum + queue.size, 0)
  }

  /** Forgets everything still queued (used by `engine.stop`; queued jobs stay pending in storage). */
  clear(): void {
    this.global.clear()
    for (const queue of this.keyed.values()) queue.clear()
    this.keyed.clear()
  }

  private limitOf(key: string): number {
    return this.options.concurrencyKeys[key] ?? 1
  }

  private keyQueue(key: string): PQueue {
    let queue = this.keyed.get(key)
    if (!queue) {
      queue = new PQueue({ concurrency: this.limitOf(key) })
      const created = queue
      // A key queue lives only while it has work, so one-off keys do not pile up.
      created.on('idle', () => {
        if (this.keyed.get(key) === created) this.keyed.delete(key)
      })
      this.keyed.set(key, queue)
    }
    return queue
  }
}
