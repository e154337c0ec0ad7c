import type { LiveJob } from './live-job'
import { storedJob } from './record'
import type { JobStore } from './store'

/**
 * Writes live jobs back to storage. Changes wait for one flush per event-loop
 * turn, so that those of one turn (running, then at once completed) fold into
 * one write and a thousand jobs share one timer; a job's end is written at
 * once (`persistNow`), so that a burst of quick jobs does not hold every
 * finished job in memory until the turn ends.
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

  /** Writes the job's latest state without waiting for the turn's flush; settles once it is stored. */
  persistNow(job: LiveJob): Promise<void> | void {
    job.dirty = true
    if (!job.persisting) {
      job.writing = true
      void this.persistLoop(job)
    }
    return this.persisted(job)
  }

  /** Settles once the job's latest state is stored. */
  persisted(job: LiveJob): Promise<void> | void {
    if (job.writing) return new Promise<void>((resolve) => (job.written ??= []).push(resolve))
  }

  private flush(): void {
    const jobs = this.dirtyJobs
    this.dirtyJobs = []
    // A job written meanwhile by `persistNow` is either being written (its loop takes the latest state) or done.
    for (const job of jobs) if (job.writing && !job.persisting) void this.persistLoop(job)
  }

  /** Writes the latest state of a job; changes that arrive during a write are folded into the next one. */
  private async persistLoop(job: LiveJob): Promise<void> {
    job.persisting = true
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
    job.persisting = false
    job.writing = false
    const waiters = job.written
    job.written = undefined
    if (waiters) for (const waiter of waiters) waiter()
  }
}
