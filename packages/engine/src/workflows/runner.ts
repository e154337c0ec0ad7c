import type { JobsApi, JobError, JobRecord, JobSubmission } from '../jobs/types'
import { isSettled, isStanding, runInput, setOperationProgress, type LiveWorkflow } from './live'
import type { OperationRecord, OperationRun, OperationStatus, WorkflowError } from './types'
import { isoTime } from '../_internal/time'

export interface RunnerHost {
  jobs: JobsApi
  saveOperations: (operations: OperationRecord[]) => Promise<void>
  /** Called after each change of an operation's status or progress, before it is saved. */
  operationChanged: (operation: OperationRecord, previous: OperationStatus) => void
  /** A job started for a run: lets job progress reach the operation. */
  jobStarted: (jobId: string, operation: OperationRecord, item: number) => void
  jobSettled: (jobId: string, job?: JobRecord) => void
  /** Runs were admitted outside of the workflow machine's own events (the first wave): it should take them. */
  runsAdmitted: () => void
}

/** A run the runner let in: the workflow machine spawns a child actor for it, with this as its input. */
/** How a run of the operations ended. */
export interface RunOutcome {
  failed: boolean
  cancelled: boolean
  /** Some completed run could be rolled back. */
  undoable: boolean
  error?: WorkflowError
}

export interface AdmittedRun {
  workflowId: string
  /**
   * The child actor's id: `run-<slot>`, the run's slot in the admission
   * window. Slots are reused: a new id per run would be a new property name
   * on the machine's `children` object, which xstate copies on every spawn
   * (docs/benchmarks.md).
   */
  actorId: string
  operation: OperationRecord
  /** The batch item (0 for an operation without items). */
  index: number
  /** A job this run already had when the workflow was resumed: waited for instead of submitting one. */
  jobId?: string
}

/** How a run ended, as its child actor reports it. */
export interface RunReport {
  run: AdmittedRun
  jobId?: string
  job?: JobRecord
  /** Submitting or waiting failed. */
  error?: unknown
}

/** How long a changed operation waits to be written with the others. */
const WRITE_DELAY_MS = 50

interface QueuedRun {
  operation: OperationRecord
  index: number
  jobId?: string
}

/**
 * Schedules one run of a workflow's DAG: decides each operation once its
 * dependencies have settled (runs it when its `when` condition holds, skips
 * it when the condition can no longer hold), and admits runs (one per job:
 * a batch's items count one each) into a window of `parallelLimit` slots, or
 * `admissionWindow` without a limit. The workflow machine spawns a child
 * actor for each admitted run (`takeAdmitted`, told once per turn through
 * `runsAdmitted`); the child submits the job (`execute`) and reports how it
 * ended (`settle`).
 * Works from the records as they are, so the same code starts a workflow,
 * retries it, and resumes it after a restart: settled operations are left
 * alone, and runs that already have a job wait for that job instead of
 * submitting another.
 */
export class OperationRunner {
  private readonly queue: QueuedRun[] = []
  private head = 0
  private admitted: AdmittedRun[] = []
  private readonly window: number
  /** Slots given out so far; `freeSlots` holds those not in use. */
  private slots = 0
  private readonly freeSlots: string[] = []
  private unsettled = 0
  private cancelling = false
  private detached = false
  /** A `runsAdmitted` call is scheduled for the end of this turn. */
  private announced = false
  /** Per position: dependencies not settled yet. */
  private readonly waiting: Int32Array
  /** Per position: the condition was evaluated (a skip can cascade to a dependent before the first pass reaches it). */
  private readonly decided: Uint8Array
  /** Per position: when this run started the operation (0: before, as `startedAt` says). */
  private readonly startedMs: Float64Array
  private readonly runningJobs = new Set<string>()
  /** Operations changed since the last write; written together every `WRITE_DELAY_MS`. */
  private readonly dirty = new Set<OperationRecord>()
  private flushTimer?: NodeJS.Timeout
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
    private readonly options: { adoptJobs: boolean; admissionWindow: number },
  ) {
    this.window = live.header.parallelLimit ?? options.admissionWindow
    this.waiting = new Int32Array(live.byPosition.length)
    this.decided = new Uint8Array(live.byPosition.length)
    this.startedMs = new Float64Array(live.byPosition.length)
  }

  run(): Promise<RunOutcome> {
    const done = new Promise<RunOutcome>((resolve, reject) => {
      this.finish = resolve
      this.fail = reject
    })
    const { byPosition, graph } = this.live
    byPosition.forEach((operation, position) => {
      if (isSettled(operation.status)) return
      this.unsettled++
      this.waiting[position] = graph.dependencies(position).filter((dependency) => !isSettled(byPosition[dependency].status)).length
    })
    // Runs that were in flight first: their jobs exist already.
    for (const operation of byPosition) if (operation.status === 'running') this.resumeOperation(operation)
    byPosition.forEach((operation, position) => {
      if (operation.status === 'pending' && this.waiting[position] === 0) this.decide(operation)
    })
    if (this.live.header.cancelRequested) this.cancel()
    this.pump()
    this.checkDone()
    return done
  }

  /** The runs admitted since the last call, for the workflow machine to spawn. */
  takeAdmitted(): AdmittedRun[] {
    const runs = this.admitted
    this.admitted = []
    return this.detached ? [] : runs
  }

  /** The work of a run's child actor: submits (or adopts, or finds again) the run's job and waits for it. Never rejects. */
  async execute(run: AdmittedRun): Promise<RunReport> {
    const { operation, index } = run
    let jobId = run.jobId
    if (!jobId) {
      try {
        const submission = this.submission(operation, index)
        const adopted = this.options.adoptJobs
          ? (await this.host.jobs.list({ label: submission.labels, limit: 10 })).items.find((each) => each.status !== 'cancelled')
          : undefined
        jobId = (adopted ?? (await this.host.jobs.submit(submission))).id
      } catch (error) {
        return { run, error }
      }
      if (this.detached) return { run, jobId }
      operation.runs[index].jobId = jobId
      this.save(operation)
    }
    this.runningJobs.add(jobId)
    this.host.jobStarted(jobId, operation, index)
    if (this.cancelling) this.host.jobs.cancel(jobId).catch(() => {})
    try {
      return { run, jobId, job: await this.host.jobs.wait(jobId) }
    } catch (error) {
      return { run, jobId, error }
    }
  }

  /** A run's child actor finished: records how its job ended and lets the next runs in. */
  settle({ run, jobId, job, error }: RunReport): void {
    if (this.detached) return
    this.freeSlots.push(run.actorId)
    const { operation, index } = run
    if (jobId) {
      this.runningJobs.delete(jobId)
      this.host.jobSettled(jobId, job)
    }
    // The job was running when this workflow's last process stopped; the
    // engine's stop cancels such jobs, and nobody cancelled the workflow, so
    // the run gets a new job instead of ending cancelled.
    if (run.jobId && job?.status === 'cancelled' && !this.cancelling) {
      this.enqueue(operation, index)
      this.pump()
      return
    }
    const status: OperationStatus = job?.status === 'completed' || job?.status === 'cancelled' ? job.status : 'failed'
    const settled: OperationRun = { status, finishedAt: job?.finishedAt ?? isoTime() }
    if (jobId) settled.jobId = jobId
    if (status === 'completed') settled.result = job!.result
    else if (status === 'failed') settled.error = job?.error ?? toJobError(error)
    else if (job?.error) settled.error = job.error
    if (job?.durationMs !== undefined) settled.durationMs = job.durationMs
    this.settleRun(operation, index, settled)
  }

  /** Cancels running jobs, skips operations not started yet; `run()` settles once the cancelled jobs have. */
  cancel(): void {
    if (this.cancelling || this.detached) return
    this.cancelling = true
    const dropped = this.queue.slice(this.head)
    this.head = this.queue.length
    for (const { operation, index, jobId } of dropped) {
      // A batch has one entry per item: the first one settles an operation that never started.
      if (operation.status === 'skipped') continue
      if (operation.status === 'pending') {
        this.skip(operation, 'workflow cancelled')
        continue
      }
      // A resumed run still waiting for a slot: its job is cancelled, not waited for.
      if (jobId) this.host.jobs.cancel(jobId).catch(() => {})
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
      if (run.jobId) this.queue.push({ operation, index, jobId: run.jobId })
      else this.enqueue(operation, index)
    })
    if (operation.runs.every((run) => isSettled(run.status))) this.settleOperation(operation)
  }

  private decide(operation: OperationRecord): void {
    if (this.decided[operation.index]) return
    this.decided[operation.index] = 1
    if (this.cancelling) return this.skip(operation, 'workflow cancelled')
    const { byPosition, graph } = this.live
    const parents = graph.dependencies(operation.index)
    if (operation.when === 'success') {
      const blocker = parents.find((position) => byPosition[position].status !== 'completed')
      if (blocker !== undefined) return this.skip(operation, `dependency "${byPosition[blocker].id}" ended ${byPosition[blocker].status}`)
    } else if (operation.when === 'failure' && !parents.some((position) => byPosition[position].status === 'failed')) {
      return this.skip(operation, 'no dependency failed')
    }
    let queued = 0
    for (let index = 0; index < operation.runs.length; index++) {
      if (operation.runs[index].status === 'completed') continue
      this.enqueue(operation, index)
      queued++
    }
    // A retried batch whose every item had completed has nothing left to run.
    if (!queued) this.settleOperation(operation)
  }

  private enqueue(operation: OperationRecord, index: number): void {
    operation.runs[index] = { status: 'pending' }
    this.queue.push({ operation, index })
  }

  private get slotsInUse(): number {
    return this.slots - this.freeSlots.length
  }

  /** Admits queued runs while a slot is free. */
  private pump(): void {
    while (!this.detached && !this.cancelling && this.slotsInUse < this.window && this.head < this.queue.length) {
      const { operation, index, jobId } = this.queue[this.head++]
      operation.runs[index].status = 'running'
      if (operation.status === 'pending') {
        const now = Date.now()
        operation.status = 'running'
        operation.startedAt = isoTime(now)
        this.startedMs[operation.index] = now
        this.host.operationChanged(operation, 'pending')
      }
      const actorId = this.freeSlots.pop() ?? `run-${this.slots++}`
      this.admitted.push({ workflowId: this.live.header.id, actorId, operation, index, jobId })
      this.announceAdmitted()
    }
    // Drop consumed entries now and then so that a long run does not keep them all.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
  }

  /**
   * Tells the workflow machine, once per turn, that runs were admitted: runs
   * that end in the same turn (quick jobs end in bursts) have their successors
   * spawned in one transition of the machine rather than one each.
   */
  private announceAdmitted(): void {
    if (this.announced) return
    this.announced = true
    queueMicrotask(() => {
      this.announced = false
      if (this.admitted.length && !this.detached) this.host.runsAdmitted()
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
    const { runs } = operation
    operation.status = runs.some((run) => run.status === 'failed') ? 'failed' : runs.some((run) => run.status === 'cancelled') ? 'cancelled' : 'completed'
    operation.result = operation.items ? runs.map((run) => run.result) : runs[0].result
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
    const now = Date.now()
    operation.finishedAt = isoTime(now)
    if (operation.startedAt) operation.durationMs = now - (this.startedMs[operation.index] || Date.parse(operation.startedAt))
    setOperationProgress(this.live, operation, 100)
    if (!isSettled(previous)) this.live.settledCount++
    this.host.operationChanged(operation, previous)
    this.save(operation)
    this.unsettled--
    const { byPosition, graph } = this.live
    for (const position of graph.dependents(operation.index)) {
      const dependent = byPosition[position]
      if (--this.waiting[position] === 0 && dependent.status === 'pending') this.decide(dependent)
    }
  }

  private checkDone(): void {
    if (this.detached || this.unsettled > 0 || this.slotsInUse > 0) return
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
   * Marks an operation's state for writing. Writes are batched every
   * `WRITE_DELAY_MS`, so an operation whose job is that quick is written once,
   * when it settles. What a crash loses of the last batch is found again on
   * resume: a running job by its labels, a settled one by waiting on it.
   */
  private save(operation: OperationRecord): void {
    this.dirty.add(operation)
    this.flushTimer ??= setTimeout(() => this.flush().catch(() => {}), WRITE_DELAY_MS)
  }

  /** Writes every changed operation now; resolves once all writes so far are done. */
  flush(): Promise<void> {
    clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    const operations = [...this.dirty]
    this.dirty.clear()
    this.writes = this.writes
      .then(() => this.host.saveOperations(operations))
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
    const submission: JobSubmission = { provider: operation.provider, action: operation.action, input: runInput(operation, index), labels }
    if (operation.retry) submission.retry = operation.retry
    if (operation.timeoutMs) submission.timeoutMs = operation.timeoutMs
    if (operation.concurrencyKey) submission.concurrencyKey = operation.concurrencyKey
    return submission
  }
}

export function toJobError(error: unknown): JobError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return { message: error.message, name: error.name, ...(typeof code === 'string' ? { code } : {}) }
  }
  return { message: String(error) }
}
