import type { LiveJob } from './live-job'
import { storedJob } from './record'
import type { JobChange, JobStore } from './store'

/**
 * Writes live jobs back to storage. One flush per event-loop turn stores every
 * job that changed in one batch (`JobStore.saveAll`): the changes of one turn
 * (running, then at once completed) fold into one write, and a thousand jobs
 * share one timer and one batch. A job that changes while its write is under
 * way is written again by the next flush.
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
    this.queue(job)
  }

  /** Settles once the job's latest state is stored. */
  persisted(job: LiveJob): Promise<void> | void {
    if (job.writing) return new Promise<void>((resolve) => (job.written ??= []).push(resolve))
  }

  private queue(job: LiveJob): void {
    this.dirtyJobs.push(job)
    if (this.dirtyJobs.length === 1) setImmediate(() => void this.flush())
  }

  /** Writes the latest state of every queued job; a job let go (another worker owns it) is not written. */
  private async flush(): Promise<void> {
    const jobs: LiveJob[] = []
    for (const job of this.dirtyJobs) {
      if (job.letGo) this.settle(job)
      else jobs.push(job)
    }
    this.dirtyJobs = []
    const changes: JobChange[] = jobs.map((job) => {
      job.dirty = false
      const previousStatus = job.indexedStatus
      job.indexedStatus = job.record.status
      return { job: storedJob(job.record, job.output?.total ?? job.record.outputLines, job.machine), previousStatus }
    })
    try {
      if (changes.length) await this.store.saveAll(changes)
    } catch (error) {
      this.onError(error, jobs.length === 1 ? `storing job ${jobs[0].record.id}` : `storing ${jobs.length} jobs`)
    }
    for (const job of jobs) {
      if (job.dirty && !job.letGo) this.queue(job)
      else this.settle(job)
    }
  }

  private settle(job: LiveJob): void {
    job.writing = false
    const waiters = job.written
    job.written = undefined
    if (waiters) for (const waiter of waiters) waiter()
  }
}
