import PQueue from 'p-queue'
import type { JobWait } from './types'

export interface SchedulerOptions {
  concurrency: number
  concurrencyKeys: Record<string, number>
}

/** Shared by every job waiting for a global slot: most of a burst's queued jobs. */
const waitingForConcurrency: JobWait = Object.freeze({ reason: 'concurrency' })

type Task = () => Promise<void>

/**
 * Admits jobs under a global limit plus a limit per concurrency key (1 unless
 * configured). A keyed job first takes a slot of its key's queue, then one of
 * the global queue, so jobs of one key keep their order while other keys pass.
 *
 * Jobs waiting for a global slot wait in a plain list, in order, and go to the
 * global p-queue only as its slots free up: a p-queue task is a promise and
 * several closures, and a backlog of a hundred thousand jobs should cost a
 * list entry each, not that.
 */
export class Scheduler {
  private readonly global: PQueue
  private readonly keyed = new Map<string, PQueue>()
  private backlog: Array<Task | undefined> = []
  /** Where the backlog's next task is: taken tasks are cleared, and the list is cut now and then. */
  private next = 0

  constructor(private readonly options: SchedulerOptions) {
    this.global = new PQueue({ concurrency: options.concurrency })
    this.global.on('next', () => this.feed())
  }

  /** Why a job submitted now would wait, or undefined when it would run at once. */
  waitReason(key: string | undefined): JobWait | undefined {
    if (key !== undefined) {
      const queue = this.keyed.get(key)
      if (queue && queue.pending + queue.size >= this.limitOf(key)) return { reason: 'concurrencyKey', key }
    }
    if (this.global.pending + this.global.size + this.backlogSize >= this.options.concurrency) return waitingForConcurrency
    return undefined
  }

  /** Queues `task`; `onAdmittedByKey` runs when the key's slot is taken and the job moves on to the global queue. */
  schedule(task: Task, key: string | undefined, onAdmittedByKey?: () => void): void {
    if (key === undefined) {
      this.admit(task)
      return
    }
    void this.keyQueue(key).add(() => {
      onAdmittedByKey?.()
      // The key's slot is held until the task has run.
      return new Promise<void>((resolve) => this.admit(() => task().finally(resolve)))
    })
  }

  /** The limits it was made with; a dispatcher holds them across nodes. */
  get limits(): Readonly<SchedulerOptions> {
    return this.options
  }

  /** Forgets everything still queued (used by `engine.stop`; queued jobs stay pending in storage). */
  clear(): void {
    this.backlog = []
    this.next = 0
    this.global.clear()
    for (const queue of this.keyed.values()) queue.clear()
    this.keyed.clear()
  }

  private get backlogSize(): number {
    return this.backlog.length - this.next
  }

  private admit(task: Task): void {
    this.backlog.push(task)
    this.feed()
  }

  /** Moves backlog tasks to the global queue while it has free slots. */
  private feed(): void {
    while (this.backlogSize > 0 && this.global.pending + this.global.size < this.options.concurrency) {
      const task = this.backlog[this.next]!
      this.backlog[this.next++] = undefined
      void this.global.add(task)
    }
    if (this.next > 1024 && this.next * 2 > this.backlog.length) {
      this.backlog.splice(0, this.next)
      this.next = 0
    }
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
