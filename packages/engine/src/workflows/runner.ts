import type { JobsApi } from '../engine-types'
import type { JobError, JobRecord, JobSubmission } from '../jobs/types'
import type { RunOutcome } from '../machines/workflow'
import { isSettled, isStanding, runInput, setOperationProgress, type LiveWorkflow } from './live'
import type { OperationRecord, OperationRun, OperationStatus } from './types'

export interface RunnerHost {
  jobs: JobsApi
  saveOperation: (operation: OperationRecord) => Promise<void>
  /** Called after each change of an operation's status or progress, before it is saved. */
  operationChanged: (operation: OperationRecord, previous: OperationStatus) => void
  /** A job started for a run: lets job progress reach the operation. */
  jobStarted: (jobId: string, operation: OperationRecord, item: number) => void
  jobSettled: (jobId: string, job?: JobRecord) => void
}

interface QueuedRun {
  operation: OperationRecord
  index: number
}

/**
 * Drives one run of a workflow's DAG: starts each operation once its
 * dependencies have settled and its `when` condition holds, skips it when the
 * condition can no longer hold, and keeps at most `parallelLimit` of the
 * workflow's jobs running (a batch's items count one each). Works from the
 * records as they are, so the same code starts a workflow, retries it, and
 * resumes it after a restart: settled operations are left alone, and runs
 * that already have a job wait for that job instead of submitting another.
 */
export class OperationRunner {
  private readonly queue: QueuedRun[] = []
  private head = 0
  private active = 0
  private unsettled = 0
  private cancelling = false
  private detached = false
  private readonly waiting = new Map<string, number>()
  /** Operations whose condition was evaluated: a skip can cascade to a child before the first pass reaches it. */
  private readonly decided = new Set<string>()
  private readonly runningJobs = new Set<string>()
  /** Operations changed since the last write; written together once per event-loop turn. */
  private readonly dirty = new Set<OperationRecord>()
  private flushScheduled = false
  private writes: Promise<void> = Promise.resolve()
  /** The first failed write: the run then ends in error (the workflow fails) rather than pretend it is stored. */
  private writeError?: unknown
  private finish!: (outcome: RunOutcome) => void
  private fail!: (error: unknown) => void

  /**
   * `adoptJobs`: before submitting a run's job, look for one submitted with the
   * same labels by a process that stopped before it could record the job's id.
   */
  constructor(
    private readonly live: LiveWorkflow,
    private readonly host: RunnerHost,
    private readonly options: { adoptJobs: boolean },
  ) {}

  run(): Promise<RunOutcome> {
    const done = new Promise<RunOutcome>((resolve, reject) => {
      this.finish = resolve
      this.fail = reject
    })
    const { operations } = this.live
    for (const operation of operations.values()) {
      if (isSettled(operation.status)) continue
      this.unsettled++
      this.waiting.set(operation.id, operation.dependsOn.filter((id) => !isSettled(operations.get(id)!.status)).length)
    }
    for (const operation of operations.values()) {
      if (operation.status === 'running') this.resumeOperation(operation)
      else if (operation.status === 'pending' && this.waiting.get(operation.id) === 0) this.decide(operation)
    }
    if (this.live.header.cancelRequested) this.cancel()
    this.pump()
    this.checkDone()
    return done
  }

  /** Cancels running jobs, skips operations not started yet; `run()` settles once the cancelled jobs have. */
  cancel(): void {
    if (this.cancelling || this.detached) return
    this.cancelling = true
    const dropped = this.queue.slice(this.head)
    this.head = this.queue.length
    for (const { operation, index } of dropped) {
      // A batch has one entry per item: the first one settles an operation that never started.
      if (operation.status === 'skipped') continue
      if (operation.status === 'pending') {
        this.skip(operation, 'workflow cancelled')
        continue
      }
      operation.runs[index].status = 'cancelled'
      if (operation.runs.every((run) => isSettled(run.status))) this.settleOperation(operation)
    }
    for (const jobId of this.runningJobs) this.host.jobs.cancel(jobId).catch(() => {})
    this.checkDone()
  }

  /** Stops acting on anything (engine stop): the records stay as they are for the next start. */
  detach(): void {
    this.detached = true
  }

  private resumeOperation(operation: OperationRecord): void {
    operation.runs.forEach((run, index) => {
      if (isSettled(run.status)) return
      if (run.jobId) this.attach(operation, index, run.jobId, { rerunIfCancelled: true })
      else this.enqueue(operation, index)
    })
    if (operation.runs.every((run) => isSettled(run.status))) this.settleOperation(operation)
  }

  private decide(operation: OperationRecord): void {
    if (this.decided.has(operation.id)) return
    this.decided.add(operation.id)
    if (this.cancelling) return this.skip(operation, 'workflow cancelled')
    const parents = operation.dependsOn.map((id) => this.live.operations.get(id)!)
    if (operation.when === 'success') {
      const blocker = parents.find((parent) => parent.status !== 'completed')
      if (blocker) return this.skip(operation, `dependency "${blocker.id}" ended ${blocker.status}`)
    } else if (operation.when === 'failure' && !parents.some((parent) => parent.status === 'failed')) {
      return this.skip(operation, 'no dependency failed')
    }
    let queued = 0
    operation.runs.forEach((run, index) => {
      if (run.status === 'completed') return
      this.enqueue(operation, index)
      queued++
    })
    // A retried batch whose every item had completed has nothing left to run.
    if (!queued) this.settleOperation(operation)
  }

  private enqueue(operation: OperationRecord, index: number): void {
    operation.runs[index] = { status: 'pending' }
    this.queue.push({ operation, index })
  }

  private pump(): void {
    const limit = this.live.header.parallelLimit ?? Infinity
    while (!this.detached && !this.cancelling && this.active < limit && this.head < this.queue.length) {
      const next = this.queue[this.head++]
      void this.start(next.operation, next.index)
    }
    // Drop consumed entries now and then so that a long run does not keep them all.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
  }

  private async start(operation: OperationRecord, index: number): Promise<void> {
    this.active++
    const run = operation.runs[index]
    run.status = 'running'
    if (operation.status === 'pending') {
      operation.status = 'running'
      operation.startedAt = new Date().toISOString()
      this.host.operationChanged(operation, 'pending')
    }
    let job: JobRecord
    try {
      const submission = this.submission(operation, index)
      const adopted = this.options.adoptJobs
        ? (await this.host.jobs.list({ label: submission.labels, limit: 10 })).items.find((each) => each.status !== 'cancelled')
        : undefined
      job = adopted ?? (await this.host.jobs.submit(submission))
    } catch (error) {
      if (this.detached) return
      this.active--
      this.settleRun(operation, index, { status: 'failed', error: toJobError(error) })
      return
    }
    if (this.detached) return
    this.active--
    run.jobId = job.id
    this.save(operation)
    this.attach(operation, index, job.id)
    if (this.cancelling) this.host.jobs.cancel(job.id).catch(() => {})
  }

  /**
   * `rerunIfCancelled`: the job was running when this workflow's last process
   * stopped; the engine's stop cancels such jobs, and nobody cancelled the
   * workflow, so the run gets a new job instead of ending cancelled.
   */
  private attach(operation: OperationRecord, index: number, jobId: string, options: { rerunIfCancelled?: boolean } = {}): void {
    this.active++
    this.runningJobs.add(jobId)
    this.host.jobStarted(jobId, operation, index)
    this.host.jobs.wait(jobId).then(
      (job) => this.jobSettled(operation, index, jobId, options, job),
      (error) => this.jobSettled(operation, index, jobId, options, undefined, error),
    )
  }

  private jobSettled(operation: OperationRecord, index: number, jobId: string, options: { rerunIfCancelled?: boolean }, job?: JobRecord, error?: unknown): void {
    if (this.detached) return
    this.active--
    this.runningJobs.delete(jobId)
    this.host.jobSettled(jobId, job)
    if (options.rerunIfCancelled && job?.status === 'cancelled' && !this.cancelling) {
      this.enqueue(operation, index)
      this.pump()
      return
    }
    const status: OperationStatus = job?.status === 'completed' || job?.status === 'cancelled' ? job.status : 'failed'
    this.settleRun(operation, index, {
      status,
      jobId,
      ...(job?.status === 'completed' ? { result: job.result } : {}),
      ...(status === 'failed' ? { error: job?.error ?? toJobError(error) } : {}),
      ...(status === 'cancelled' && job?.error ? { error: job.error } : {}),
      ...(job?.durationMs !== undefined ? { durationMs: job.durationMs } : {}),
      finishedAt: job?.finishedAt ?? new Date().toISOString(),
    })
  }

  private settleRun(operation: OperationRecord, index: number, run: OperationRun): void {
    operation.runs[index] = run
    if (operation.runs.every((each) => isSettled(each.status))) {
      this.settleOperation(operation)
    } else {
      if (operation.items) {
        setOperationProgress(this.live, operation, (100 * operation.runs.filter((each) => isSettled(each.status)).length) / operation.runs.length)
        this.host.operationChanged(operation, operation.status)
      }
      this.save(operation)
    }
    this.pump()
    this.checkDone()
  }

  private settleOperation(operation: OperationRecord): void {
    const previous = operation.status
    const statuses = operation.runs.map((run) => run.status)
    operation.status = statuses.includes('failed') ? 'failed' : statuses.includes('cancelled') ? 'cancelled' : 'completed'
    operation.result = operation.items ? operation.runs.map((run) => run.result) : operation.runs[0].result
    // The first error of the kind the operation ended with (failed, or cancelled) is the operation's.
    const culprit = operation.runs.findIndex((run) => run.status === operation.status && run.error)
    if (culprit !== -1) {
      const { error } = operation.runs[culprit]
      operation.error = operation.items ? { ...error!, message: `item ${culprit}: ${error!.message}` } : error
    }
    this.finishOperation(operation, previous)
  }

  private skip(operation: OperationRecord, reason: string): void {
    const previous = operation.status
    operation.status = 'skipped'
    operation.skipReason = reason
    this.finishOperation(operation, previous)
  }

  private finishOperation(operation: OperationRecord, previous: OperationStatus): void {
    operation.finishedAt = new Date().toISOString()
    if (operation.startedAt) operation.durationMs = Date.parse(operation.finishedAt) - Date.parse(operation.startedAt)
    setOperationProgress(this.live, operation, 100)
    if (!isSettled(previous)) this.live.settledCount++
    this.host.operationChanged(operation, previous)
    this.save(operation)
    this.unsettled--
    for (const childId of this.live.children.get(operation.id)!) {
      const left = this.waiting.get(childId)! - 1
      this.waiting.set(childId, left)
      const child = this.live.operations.get(childId)!
      if (left === 0 && child.status === 'pending') this.decide(child)
    }
  }

  private checkDone(): void {
    if (this.detached || this.unsettled > 0 || this.active > 0) return
    this.unsettled = -1 // finish once
    // An operation cancelled while the workflow was not (its job was cancelled on its own) fails the workflow too.
    const failed = [...this.live.operations.values()].filter(
      (operation) => operation.status === 'failed' || (operation.status === 'cancelled' && !this.cancelling),
    )
    const undoable = [...this.live.operations.values()].some((operation) => operation.runs.some(isStanding))
    const outcome: RunOutcome = {
      failed: failed.length > 0,
      cancelled: this.cancelling,
      undoable,
      ...(failed.length
        ? { error: { message: failed.map((operation) => `operation "${operation.id}" ${operation.status}: ${operation.error?.message}`).join('; ') } }
        : {}),
    }
    this.flush().then(() => this.finish(outcome), this.fail)
  }

  /**
   * Marks an operation's state for writing. Writes are batched per event-loop
   * turn, so an operation that starts and settles within one turn is written
   * once. What a crash loses of the last turn is found again on resume: a
   * running job by its labels, a settled one by waiting on it.
   */
  private save(operation: OperationRecord): void {
    this.dirty.add(operation)
    if (this.flushScheduled) return
    this.flushScheduled = true
    setImmediate(() => this.flush().catch(() => {}))
  }

  /** Writes every changed operation now; resolves once all writes so far are done. */
  flush(): Promise<void> {
    this.flushScheduled = false
    const operations = [...this.dirty]
    this.dirty.clear()
    this.writes = this.writes
      .then(() => Promise.all(operations.map((operation) => this.host.saveOperation(operation))))
      .then(
        () => {},
        (error) => {
          this.writeError ??= error
        },
      )
    return this.writes.then(() => {
      if (this.writeError) throw this.writeError
    })
  }

  private submission(operation: OperationRecord, index: number): JobSubmission {
    const labels: Record<string, string> = {
      workflow: this.live.header.id,
      operation: operation.id,
      attempt: String(this.live.header.attempt),
    }
    if (operation.items) labels.item = String(index)
    return {
      provider: operation.provider,
      action: operation.action,
      input: runInput(operation, index),
      labels,
      ...(operation.retry ? { retry: operation.retry } : {}),
      ...(operation.timeoutMs ? { timeoutMs: operation.timeoutMs } : {}),
      ...(operation.concurrencyKey ? { concurrencyKey: operation.concurrencyKey } : {}),
    }
  }
}

export function toJobError(error: unknown): JobError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return { message: error.message, name: error.name, ...(typeof code === 'string' ? { code } : {}) }
  }
  return { message: String(error) }
}
