import type { Storage } from 'unstorage'
import { createDeferred, type Deferred } from '../_internal/deferred'
import { createId } from '../_internal/id'
import { isoTime } from '../_internal/time'
import { EngineStateError, NotFoundError, ValidationError } from '../errors'
import type { EngineEmitter, EngineHooks, JobsApi, OutputOptions } from '../engine-types'
import { initialJobContext, isInitialJobContext, JOB_MACHINE_VERSION, jobMachine, type JobMachineContext, type JobMachineEvent, type JobSnapshot } from '../machines/job'
import { createStepper } from '../machines/stepper'
import { findAction, type RegisteredProvider } from '../providers/registry'
import type { ActionContext, ActionDefinition } from '../providers/types'
import { OutputLog, readStoredOutput } from './output'
import { Scheduler } from './scheduler'
import { jobRecord, storedJob } from './record'
import { JobStore, type StoredJob } from './store'
import { jobSubmissionSchema } from './submission'
import { finalJobStatuses, type JobWait, type JobListQuery, type JobRecord, type JobStatus, type JobSubmission, type OutputLine, type Page } from './types'

/** After a job leaves `running` (cancel, timeout), how long its slot waits for the action to let go. */
const SLOT_GRACE_MS = 2000

/** What a slot returns for a job that no longer needs it (cancelled or taken while queued). */
const NOTHING_TO_RUN = Promise.resolve()

interface ActiveJob {
  /** The public record, kept current; what is stored adds `machine`. */
  record: JobRecord
  machine: MachineState
  /** Why it waits, while it is queued; not stored (it changes as other jobs finish). */
  waiting?: JobWait
  startedAtMs?: number
  /**
   * The machine's snapshot, resolved from `machine` when the job takes its
   * first event: a queued job is fully described by its stored `pending` state.
   */
  snapshot?: JobSnapshot
  /** Events sent while the machine was taking one; they follow in order, as in an actor's mailbox. */
  mailbox?: JobMachineEvent[]
  stepping?: boolean
  /** The timer of a delayed machine event (the end of a retry backoff). */
  delayedTimer?: NodeJS.Timeout
  input: unknown
  action: ActionDefinition
  registered: RegisteredProvider
  /** Created with the first line (or the first reader): most quick jobs print nothing. */
  output?: OutputLog
  /** The status its index entry has, i.e. the last one written. */
  indexedStatus: JobStatus
  /** Changed since its last write. */
  dirty: boolean
  /** Queued for a write or being written. */
  writing: boolean
  /** Called once the job has no write pending; created only for those who wait. */
  written?: (() => void)[]
  clearTimeout?: () => void
  /** Aborts the signal of the attempt that is running. */
  abortRun?: (reason: unknown) => void
  /** Frees the run slot for the next job; unset once called. */
  freeSlot?: () => void
  /** Frees the slot of a run told to stop that has not returned yet. */
  slotGraceTimer?: NodeJS.Timeout
  final: Deferred<JobRecord>
}

export interface JobServiceOptions {
  storage: Storage
  providers: ReadonlyMap<string, RegisteredProvider>
  events: EngineEmitter
  hooks: { [K in keyof EngineHooks]: Set<EngineHooks[K]> }
  scheduler: Scheduler
  /** Known providers that are not available, with what to do about it. */
  unavailableProviders?: Readonly<Record<string, string>>
}

/** Submits, runs, persists and recovers jobs: the `jobs` API of an engine. */
export class JobService implements JobsApi {
  private readonly store: JobStore
  private readonly active = new Map<string, ActiveJob>()
  private readonly finalWaiters = new Map<string, Deferred<JobRecord>[]>()
  private dirtyJobs: ActiveJob[] = []
  // A queued job's start, and the end of a run that returned nothing (or a primitive), are the same transitions for every job: computed once.
  private readonly stepper = createStepper(jobMachine, { pureEvents: ['job.start', 'job.succeeded'] })
  private readonly initialSnapshot = this.stepper.share(jobMachine.resolveState({ value: 'pending', context: initialJobContext() }))
  /** The stored machine state of every new job without retries or a timeout: one object for all of them. */
  private readonly initialMachine: MachineState = { version: JOB_MACHINE_VERSION, value: 'pending', context: this.initialSnapshot.context }
  private accepting = false

  constructor(private readonly options: JobServiceOptions) {
    this.store = new JobStore(options.storage)
  }

  // ---- public API -------------------------------------------------------

  validate = (submission: JobSubmission): void => {
    this.prepare(submission)
  }

  submit = (submission: JobSubmission): Promise<JobRecord> => this.submitJob(submission, true)

  private async submitJob(submission: JobSubmission, checkOptions: boolean): Promise<JobRecord> {
    if (!this.accepting) throw new EngineStateError('[provisio] [engine] not accepting jobs: call engine.start() first (or the engine is stopping)')
    const { options, action, registered, input } = this.prepare(submission, checkOptions)
    const id = createId()
    const record = jobRecord({
      id,
      provider: options.provider,
      action: options.action,
      input: action.redact ? action.redact(input as never) : input,
      status: 'pending',
      mode: options.undo ? 'undo' : 'run',
      undoOf: options.undo ? { result: options.undo.result } : undefined,
      labels: options.labels ?? {},
      concurrencyKey: options.concurrencyKey,
      timeoutMs: options.timeoutMs,
      retry: options.retry,
      attempt: 0,
      createdAt: isoTime(),
      outputLines: 0,
    })
    const machine: MachineState =
      options.retry || options.timeoutMs !== undefined
        ? { version: JOB_MACHINE_VERSION, value: 'pending', context: initialJobContext({ retry: options.retry, timeoutMs: options.timeoutMs }) }
        : this.initialMachine
    const job = this.track(record, machine, input, action, registered, 'pending')
    await this.store.create(storedJob(record, 0, machine), action.redact ? input : undefined)
    this.active.set(id, job)
    const created = this.publicRecord(job)
    if (this.options.events.listenerCount('job:created')) this.options.events.emit('job:created', { id, job: created })
    this.emitStatus(job, null)
    this.enqueue(job)
    return created
  }

  get = async (id: string): Promise<JobRecord | undefined> => {
    const job = this.active.get(id)
    if (job) return this.publicRecord(job)
    const stored = await this.store.get(id)
    return stored ? stripInternal(stored) : undefined
  }

  list = async (query: JobListQuery = {}): Promise<Page<JobRecord>> => {
    const page = await this.store.list(query)
    return {
      total: page.total,
      limit: page.limit,
      offset: page.offset,
      items: page.items.map((stored) => {
        const job = this.active.get(stored.id)
        return job ? this.publicRecord(job) : stripInternal(stored)
      }),
    }
  }

  wait = (id: string): Promise<JobRecord> => {
    const job = this.active.get(id)
    return job ? job.final.promise : this.waitStored(id)
  }

  private async waitStored(id: string): Promise<JobRecord> {
    const stored = await this.store.get(id)
    if (!stored) throw new NotFoundError(`[provisio] [engine] no job "${id}"`)
    if (finalJobStatuses.has(stored.status)) return stripInternal(stored)
    // Stored but not loaded yet (before start()): resolve when it ends.
    const deferred = createDeferred<JobRecord>()
    const waiters = this.finalWaiters.get(id) ?? []
    waiters.push(deferred)
    this.finalWaiters.set(id, waiters)
    return deferred.promise
  }

  cancel = async (id: string, reason?: string): Promise<JobRecord> => {
    const job = this.active.get(id)
    if (!job) {
      const stored = await this.store.get(id)
      if (!stored) throw new NotFoundError(`[provisio] [engine] no job "${id}"`)
      return stripInternal(stored)
    }
    this.send(job, { type: 'job.cancel', reason })
    return job.final.promise
  }

  output = (id: string, options: OutputOptions = {}): AsyncIterable<OutputLine> => this.readOutput(id, options)

  /**
   * The jobs API for the engine's own callers (a workflow's runs, rollback's
   * undo jobs). They build each submission from specs validated when the
   * workflow was submitted, so its options are not parsed again (several µs
   * of a quick job); its input still is, by the action's schema.
   */
  readonly forEngine: JobsApi = {
    submit: (submission) => this.submitJob(submission, false),
    validate: this.validate,
    get: this.get,
    list: this.list,
    wait: this.wait,
    cancel: this.cancel,
    output: this.output,
  }

  // ---- lifecycle --------------------------------------------------------

  /** Loads every unfinished job from storage: running ones end `interrupted` (or run again when idempotent), queued ones run. */
  async start(): Promise<void> {
    this.accepting = true
    await this.store.migrateIndexes()
    for (const status of ['running', 'retrying', 'pending'] as const) {
      const ids = (await this.store.idsWithStatus(status)).sort()
      for (const id of ids) {
        if (this.active.has(id)) continue
        const stored = await this.store.get(id)
        if (!stored) continue
        if (stored.status !== status) {
          await this.store.repair(stored, status)
          if (finalJobStatuses.has(stored.status)) continue
        }
        await this.restore(stored)
      }
    }
  }

  async stop(graceMs: number): Promise<void> {
    this.accepting = false
    const running = [...this.active.values()].filter((job) => job.record.status === 'running')
    if (running.length) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.all(running.map((job) => job.final.promise)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ])
      clearTimeout(timer)
      await Promise.all(
        running
          .filter((job) => this.active.has(job.record.id) && job.record.status === 'running')
          .map((job) => this.cancel(job.record.id, 'cancelled: the engine stopped')),
      )
    }
    this.options.scheduler.clear()
    // Queued jobs stay `pending` in storage and run after the next start.
    for (const job of [...this.active.values()]) {
      await this.persisted(job)
      await job.output?.close()
      clearTimeout(job.delayedTimer)
      this.active.delete(job.record.id)
    }
  }

  getActive(id: string): JobRecord | undefined {
    const job = this.active.get(id)
    return job ? this.publicRecord(job) : undefined
  }

  // ---- internals --------------------------------------------------------

  /** `checkOptions`: parse the submission's options (everything but the input, which is always parsed by its action's schema). */
  private prepare(submission: JobSubmission, checkOptions = true) {
    let options = submission
    if (checkOptions) {
      const parsed = jobSubmissionSchema.safeParse(submission)
      if (!parsed.success) throw ValidationError.fromZod('[provisio] [engine] invalid job submission', parsed.error)
      options = parsed.data
    }
    const { registered, action } = findAction(this.options.providers, options.provider, options.action, this.options.unavailableProviders)
    if (options.undo && !action.undo) {
      throw new ValidationError(`action "${options.provider}.${options.action}" cannot be undone`, [
        { path: 'undo', message: `action "${options.action}" of provider "${options.provider}" has no undo` },
      ])
    }
    const input = action.input.safeParse(options.input ?? {})
    if (!input.success) throw ValidationError.fromZod(`[provisio] [${options.provider}] invalid input for ${options.action}`, input.error, 'input')
    return { options, registered, action, input: input.data }
  }

  private track(
    record: JobRecord,
    machine: MachineState,
    input: unknown,
    action: ActionDefinition,
    registered: RegisteredProvider,
    indexedStatus: JobStatus,
  ): ActiveJob {
    return {
      record,
      machine,
      input,
      action,
      registered,
      indexedStatus,
      dirty: false,
      writing: false,
      final: createDeferred<JobRecord>(),
    }
  }

  /** Gives the job's machine an event; one sent while it takes another waits its turn. */
  private send(job: ActiveJob, event: JobMachineEvent): void {
    if (job.stepping) {
      ;(job.mailbox ??= []).push(event)
      return
    }
    job.stepping = true
    try {
      for (let next: JobMachineEvent | undefined = event; next; next = job.mailbox?.shift()) this.step(job, next)
    } catch (error) {
      this.reportError(error, `job ${job.record.id} machine`)
    } finally {
      job.stepping = false
    }
  }

  private step(job: ActiveJob, event: JobMachineEvent): void {
    const current = job.snapshot ?? this.resolveSnapshot(job)
    if (current.status !== 'active') return
    const { snapshot, delayed } = this.stepper.step(current, event)
    job.snapshot = snapshot
    for (const later of delayed) {
      clearTimeout(job.delayedTimer)
      job.delayedTimer = setTimeout(() => this.send(job, later.event), later.delay)
    }
    if (snapshot !== current) this.onSnapshot(job, snapshot.value as JobStatus, snapshot.context)
  }

  private resolveSnapshot(job: ActiveJob): JobSnapshot {
    const stored = job.machine
    const context =
      stored?.version === JOB_MACHINE_VERSION
        ? (stored.context as JobMachineContext)
        : initialJobContext({ retry: job.record.retry, timeoutMs: job.record.timeoutMs, attempt: job.record.attempt })
    if (isInitialJobContext(context)) return this.initialSnapshot
    // Always from `pending`: a job that was running when the process died must not replay its action.
    return jobMachine.resolveState({ value: 'pending', context })
  }

  private async restore(stored: StoredJob): Promise<void> {
    const registered = this.options.providers.get(stored.provider)
    const action = registered?.provider.actions[stored.action]
    if (!registered || !action) {
      const status: JobStatus = 'failed'
      const failed: StoredJob = {
        ...stored,
        status,
        finishedAt: new Date().toISOString(),
        error: { message: `provider "${stored.provider}" or its action "${stored.action}" is no longer registered`, code: 'unknown_action' },
      }
      await this.store.save(failed, stored.status)
      return
    }
    const input = action.redact ? await this.store.getFullInput(stored.id) : stored.input
    const machine = stored.machine ?? { version: JOB_MACHINE_VERSION, value: stored.status, context: undefined }
    const job = this.track(stripInternal(stored), machine, input, action, registered, stored.status)
    this.active.set(stored.id, job)
    if (stored.status === 'running' && !action.idempotent) {
      this.send(job, { type: 'job.interrupt' })
      return
    }
    if (stored.status !== 'pending') this.setStatus(job, 'pending', machine.context as JobMachineContext | undefined)
    this.enqueue(job)
  }

  private enqueue(job: ActiveJob): void {
    const key = job.record.concurrencyKey
    job.waiting = this.options.scheduler.waitReason(key)
    this.options.scheduler.schedule(
      () => this.runSlot(job),
      key,
      key === undefined
        ? undefined
        : () => {
            if (job.record.status === 'pending') job.waiting = this.options.scheduler.waitReason(undefined)
          },
    )
  }

  /** One run of a job inside a scheduler slot; returns when the slot is free again. */
  private runSlot(job: ActiveJob): Promise<void> {
    if (this.active.get(job.record.id) !== job || job.record.status !== 'pending' || !this.accepting) return NOTHING_TO_RUN
    job.waiting = undefined
    return new Promise<void>((resolve) => {
      job.freeSlot = () => {
        job.freeSlot = undefined
        clearTimeout(job.slotGraceTimer)
        resolve()
      }
      // The machine may take this event after the current one (when called from a status
      // change); the run itself starts when the job enters `running`, in setStatus.
      this.send(job, { type: 'job.start' })
    })
  }

  /** Runs the action of the attempt that just started and reports how it ended to the machine. */
  private async runAction(job: ActiveJob, attempt: number): Promise<void> {
    // Created on first use of ctx.signal: most quick actions never look at it.
    let controller: AbortController | undefined
    let abortedWith: { reason: unknown } | undefined
    const signal = () => {
      if (!controller) {
        controller = new AbortController()
        if (abortedWith) controller.abort(abortedWith.reason)
      }
      return controller.signal
    }
    job.abortRun = (reason) => {
      abortedWith = { reason }
      controller?.abort(reason)
    }
    let outcome: JobMachineEvent
    try {
      if (this.options.hooks.beforeJob.size) for (const hook of this.options.hooks.beforeJob) await hook({ job: this.publicRecord(job) })
      const ctx = this.contextFor(job, attempt, signal)
      const result =
        job.record.mode === 'undo'
          ? await job.action.undo!(ctx, job.input as never, job.record.undoOf?.result as never)
          : await job.action.run(ctx, job.input as never)
      outcome = { type: 'job.succeeded', attempt, result: result === undefined ? null : result }
    } catch (error) {
      outcome = { type: 'job.failed', attempt, error }
    }
    // The run is over, so its slot is free before the machine hears how it ended: the
    // status change then holds no slot open for a grace period (nor the job, in a timer).
    job.freeSlot?.()
    this.report(job, outcome)
  }

  private outputOf(job: ActiveJob): OutputLog {
    job.output ??= new OutputLog(this.options.storage, job.record.id, job.record.outputLines, (error) =>
      this.reportError(error, `storing output of job ${job.record.id}`),
    )
    return job.output
  }

  /** Tells the machine how a run ended, unless the job already ended (cancelled or timed out meanwhile). */
  private report(job: ActiveJob, event: JobMachineEvent): void {
    if (!finalJobStatuses.has(job.record.status)) this.send(job, event)
  }

  private contextFor(job: ActiveJob, attempt: number, signal: () => AbortSignal): ActionContext {
    const id = job.record.id
    const events = this.options.events
    return {
      jobId: id,
      attempt,
      config: job.registered.config,
      get signal() {
        return signal()
      },
      storage: job.registered.storage,
      log: (text) => {
        const output = this.outputOf(job)
        if (output.closed) return
        for (const line of String(text).split(/\r?\n/)) {
          const seq = output.append(line)
          events.emit('job:output', { id, seq, line })
        }
      },
      progress: (percent, step) => {
        const clamped = Math.max(0, Math.min(100, Number(percent) || 0))
        job.record.progress = step === undefined ? { percent: clamped } : { percent: clamped, step }
        events.emit('job:progress', { id, percent: clamped, ...(step === undefined ? {} : { step }) })
      },
      emit: (type, data) => events.emit('job:event', { id, type, data }),
    }
  }

  private onSnapshot(job: ActiveJob, status: JobStatus, context: JobMachineContext): void {
    if (status === job.record.status && context.attempt === job.record.attempt) return
    this.setStatus(job, status, context)
  }

  private setStatus(job: ActiveJob, status: JobStatus, context: JobMachineContext = initialJobContext()): void {
    const record = job.record
    const previous = record.status
    const now = Date.now()
    record.status = status
    record.attempt = context.attempt
    record.error = context.error
    if (status === 'running') {
      if (record.startedAt === undefined) {
        record.startedAt = isoTime(now)
        job.startedAtMs = now
      }
      job.waiting = undefined
      this.armTimeout(job)
    }
    if (status === 'retrying') job.waiting = { reason: 'backoff', until: new Date(context.retryAt ?? now).toISOString() }
    if (status === 'completed') record.result = context.result
    if (finalJobStatuses.has(status)) {
      job.waiting = undefined
      record.finishedAt = isoTime(now)
      record.durationMs = now - (job.startedAtMs ?? Date.parse(record.startedAt ?? record.createdAt))
    }
    job.machine = { version: JOB_MACHINE_VERSION, value: status, context }
    this.markDirty(job)
    if (status === previous) return
    if (previous === 'running') {
      job.clearTimeout?.()
      // A completed run has nothing left to stop.
      if (status !== 'completed') job.abortRun?.(Object.assign(new Error(record.error?.message ?? status), { code: record.error?.code }))
      job.abortRun = undefined
    }
    this.emitStatus(job, previous)
    if (previous === 'running' && job.freeSlot) {
      // The action was told to stop; give it a moment to let go of what it holds, then free the slot anyway.
      job.slotGraceTimer = setTimeout(() => job.freeSlot?.(), SLOT_GRACE_MS).unref()
    }
    if (status === 'running') void this.runAction(job, context.attempt)
    if (status === 'pending' && previous === 'retrying') this.enqueue(job)
    if (finalJobStatuses.has(status)) void this.finalize(job)
  }

  /** The machine models the timeout (`job.timeout`); the timer lives here so that only jobs with a timeout pay for one. */
  private armTimeout(job: ActiveJob): void {
    const { timeoutMs, attempt } = job.record
    if (timeoutMs === undefined) return
    const timer = setTimeout(() => {
      if (job.record.status === 'running' && job.record.attempt === attempt) this.send(job, { type: 'job.timeout' })
    }, timeoutMs)
    job.clearTimeout = () => clearTimeout(timer)
  }

  private emitStatus(job: ActiveJob, previous: JobStatus | null): void {
    const events = this.options.events
    // Building the payload's record copy is most of an event's cost: skip it when nobody listens.
    if (!events.listenerCount('job:status')) return
    events.emit('job:status', { id: job.record.id, status: job.record.status, previous, job: this.publicRecord(job) })
  }

  private async finalize(job: ActiveJob): Promise<void> {
    const id = job.record.id
    try {
      if (job.output) await job.output.close()
      this.markDirty(job)
      await this.persisted(job)
      if (job.action.redact) await this.store.removeFullInput(id)
    } catch (error) {
      this.reportError(error, `finishing job ${id}`)
    }
    clearTimeout(job.delayedTimer)
    this.active.delete(id)
    const record = this.publicRecord(job)
    job.final.resolve(record)
    const waiters = this.finalWaiters.get(id)
    if (waiters) {
      for (const waiter of waiters) waiter.resolve(record)
      this.finalWaiters.delete(id)
    }
    if (this.options.hooks.afterJob.size) for (const hook of this.options.hooks.afterJob) {
      try {
        await hook({ job: record })
      } catch (error) {
        this.reportError(error, `afterJob hook of job ${id}`)
      }
    }
  }

  private markDirty(job: ActiveJob): void {
    job.dirty = true
    if (job.writing) return
    job.writing = true
    this.dirtyJobs.push(job)
    // One flush per turn for every job that changed: the changes of one turn (running, then
    // at once completed) fold into one write, and a thousand jobs share one timer.
    if (this.dirtyJobs.length === 1) setImmediate(() => this.flushDirty())
  }

  private flushDirty(): void {
    const jobs = this.dirtyJobs
    this.dirtyJobs = []
    for (const job of jobs) void this.persistLoop(job)
  }

  /** Writes the latest state of a job; changes that arrive during a write are folded into the next one. */
  private async persistLoop(job: ActiveJob): Promise<void> {
    try {
      while (job.dirty) {
        job.dirty = false
        const record = storedJob(job.record, job.output?.total ?? job.record.outputLines, job.machine)
        const previous = job.indexedStatus
        job.indexedStatus = record.status
        await this.store.save(record, previous)
      }
    } catch (error) {
      this.reportError(error, `storing job ${job.record.id}`)
    }
    job.writing = false
    const waiters = job.written
    job.written = undefined
    if (waiters) for (const waiter of waiters) waiter()
  }

  /** Settles once the job's latest state is stored. */
  private persisted(job: ActiveJob): Promise<void> | void {
    if (job.writing) return new Promise<void>((resolve) => (job.written ??= []).push(resolve))
  }

  private publicRecord(job: ActiveJob): JobRecord {
    const record = jobRecord(job.record)
    record.outputLines = job.output?.total ?? job.record.outputLines
    record.waiting = job.waiting
    return record
  }

  private async *readOutput(id: string, { from = 0, follow = false }: OutputOptions): AsyncGenerator<OutputLine> {
    let cursor = Math.max(0, from)
    for (;;) {
      const job = this.active.get(id)
      if (!job) {
        if (!(await this.store.get(id))) throw new NotFoundError(`[provisio] [engine] no job "${id}"`)
        for await (const line of readStoredOutput(this.options.storage, id, cursor)) {
          yield line
          cursor = line.seq + 1
        }
        return
      }
      const log = this.outputOf(job)
      if (cursor < log.stored) {
        for await (const line of readStoredOutput(this.options.storage, id, cursor, log.stored)) {
          yield line
          cursor = line.seq + 1
        }
        // Lines counted as stored but not found were lost with a crash before their chunk was
        // written: skip them, or this loop would wait for them forever.
        cursor = Math.max(cursor, log.stored)
        continue
      }
      for (const line of log.unstoredFrom(cursor)) {
        yield line
        cursor = line.seq + 1
      }
      if (cursor < log.total) continue
      if (!follow || log.closed) return
      await log.changed()
    }
  }

  private reportError(error: unknown, context: string): void {
    const err = error instanceof Error ? error : new Error(String(error))
    if (this.options.events.listenerCount('engine:error') > 0) this.options.events.emit('engine:error', { error: err, context })
    else console.error(`[provisio] [engine] ${context}:`, err)
  }
}

function stripInternal(stored: StoredJob): JobRecord {
  return jobRecord(stored)
}

type MachineState = NonNullable<StoredJob['machine']>


