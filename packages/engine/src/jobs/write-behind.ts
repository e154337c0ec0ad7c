import type { LiveJob } from './live-job'
import { storedJob } from './record'
import type { JobStore } from './store'

/**
 * Writes live jobs back to storage. One flush per event-loop turn for every
 * job that changed: the changes of one turn (running, then at once completed)
 * fold into one write, and a thousand jobs share one timer.
 */
export class WriteBehind {
  private dirtyJobs: LiveJob[] = []

  constructor(
    private readonly store: JobStore,
    private readonly onError: (error: unknown, context: string) => void,
  ) {}

  markDirty(job: LiveJob): void {
    job.dirty = true
    if (job.writing) return
    job.writing = true
    this.dirtyJobs.push(job)
    if (this.dirtyJobs.length === 1) setImmediate(() => this.flush())
  }

  /** Settles once the job's latest state is stored. */
  persisted(job: LiveJob): Promise<void> | void {
    if (job.writing) return new Promise<void>((resolve) => (job.written ??= []).push(resolve))
  }

  private flush(): void {
    const jobs = this.dirtyJobs
    this.dirtyJobs = []
    for (const job of jobs) void this.persistLoop(job)
  }

  /** Writes the latest state of a job; changes that arrive during a write are folded into the next one. */
  private async persistLoop(job: LiveJob): Promise<void> {
    try {
      while (job.dirty && !job.letGo) {
        job.dirty = false
        const record = storedJob(job.record, job.output?.total ?? job.record.outputLines, job.machine)
        const previous = job.indexedStatus
        job.indexedStatus = record.status
        await this.store.save(record, previous)
      }
    } catch (error) {
      this.onError(error, `storing job ${job.record.id}`)
    }
    job.writing = false
    const waiters = job.written
    job.written = undefined
    if (waiters) for (const waiter of waiters) waiter()
  }
}
