import { setTimeout as sleep } from 'node:timers/promises'
import type { Storage } from 'unstorage'
import { createDeferred } from '../_internal/deferred'
import { isoTime } from '../_internal/time'
import { NotFoundError } from '../errors'
import type { EngineEmitter } from '../events'
import {
  initialJobContext,
  isInitialJobContext,
  JOB_MACHINE_VERSION,
  jobMachine,
  transitionJob,
  type JobMachineContext,
  type JobMachineEvent,
  type JobSnapshot,
} from '../machines/job'
import type { RegisteredProvider } from '../providers/registry'
import { claimsFor, createOwner, type JobClaims } from './claims'
import { HeldClaims } from './claims/held'
import { liveJob, publicRecord, type LiveJob, type QueuedJob } from './live-job'
import { OutputLog } from './output'
import { jobRecord, storedJob } from './record'
import { runAction } from './run-action'
import type { Scheduler } from './scheduler'
import type { JobStore, StoredJob } from './store'
import type { DispatchedRun, JobDispatcher } from './dispatch/types'
import { followStored } from './follow'
import { finalJobStatuses, type EngineHooks, type JobRecord, type JobStatus } from './types'
import { WriteBehind } from './write-behind'

/**
 * What runs jobs, as BullMQ's `Worker` does for its `Queue`: it claims a
 * queued job through the storage (a lease it renews while it holds the job),
 * runs it, reports each status change, and releases the claim once the end is
 * stored. `LocalWorker` runs jobs in this process on p-queue; a worker over a
 * shared queue (BullMQ) implements the same interface.
 */
export interface JobWorker {
  /** Takes over the unfinished jobs in storage that no live worker holds, and keeps looking for lapsed leases. */
  start(): Promise<void>
  /** A job the queue has just stored: claim it and run it when a slot is free (or hand it to the dispatcher, which resolves once it is acknowledged). */
  add(job: QueuedJob): void | Promise<void>
  /** The current record of a job this worker holds (fresher than storage), else undefined. */
  record(id: string): JobRecord | undefined
  /** Settles with the final record of a job this worker holds, else undefined. */
  final(id: string): Promise<JobRecord> | undefined
  /** The output of a job this worker holds, lines not yet stored included. */
  output(id: string): OutputLog | undefined
  /** Cancels a job this worker holds; resolves with its final record. Undefined when it holds no such job. */
  cancel(id: string, reason?: string): Promise<JobRecord> | undefined
  /** Stops claiming, lets running jobs finish for `graceMs`, cancels the rest and releases every claim. */
  stop(graceMs: number): Promise<void>
}

export interface LocalWorkerOptions {
  storage: Storage
  store: JobStore
  providers: ReadonlyMap<string, RegisteredProvider>
  events: EngineEmitter
  hooks: { [K in keyof EngineHooks]: Set<EngineHooks[K]> }
  scheduler: Scheduler
  /** How long a claim lasts unless renewed; a dead worker's jobs are taken over after this. */
  leaseMs: number
  /** The claims primitive; by default the one `claimsFor(storage)` picks for the storage's driver. */
  claims?: JobClaims
  /** Decides where and when jobs run (e.g. BullMQ over several nodes); without one, every job added runs here. */
  dispatcher?: JobDispatcher
  onError: (error: unknown, context: string) => void
}

/** After a job leaves `running` (cancel, timeout), how long its slot waits for the action to let go. */
const SLOT_GRACE_MS = 2000

/** What a slot returns for a job that no longer needs it (cancelled, taken elsewhere, or the worker stopped). */
const NOTHING_TO_RUN = Promise.resolve()

/** Jobs a worker starts in one turn of the event loop before it lets the loop go on. */
const JOBS_PER_TURN = 64

/** How often a cancel of a job another node holds is asked again, until the job has ended. */
const CANCEL_RETRY_MS = 100

/** Queued jobs read from storage at once when a worker starts. */
const LOAD_BATCH = 64

/** The statuses of jobs whose worker holds a claim (pending jobs are claimed when a slot takes them). */
const CLAIMED_STATUSES = ['running', 'retrying'] as const
const isClaimedStatus = (status: JobStatus) => (CLAIMED_STATUSES as readonly JobStatus[]).includes(status)

/** Runs jobs in this process: p-queue slots (the scheduler), one job machine per job, claims through the storage. */
export class LocalWorker implements JobWorker {
  private readonly active = new Map<string, LiveJob>()
  /** Each attempt in flight, until its action has returned and what it logged is stored. */
  private readonly runs = new Map<LiveJob, Promise<void>>()
  /** Jobs whose action has not returned yet: one that ended meanwhile (cancelled, timed out) may still log as it lets go. */
  private readonly actionsRunning = new Set<LiveJob>()
  private readonly writes: WriteBehind
  private readonly claims: HeldClaims
  /** Where every job without retries or a timeout starts: snapshots are immutable, so one serves them all. */
  private readonly initialSnapshot = jobMachine.resolveState({ value: 'pending', context: initialJobContext() })
  private sweepTimer?: NodeJS.Timeout
  private running = false
  /** Jobs started in this turn of the event loop, and the promise of the next turn once they are too many. */
  private startsThisTurn = 0
  private turnEnded?: Promise<void>
  /** Settles the dispatched runs this node still holds when it stops: their jobs go to another node. */
  private readonly stopped = createDeferred<DispatchedRun>()

  constructor(private readonly options: LocalWorkerOptions) {
    this.writes = new WriteBehind(options.store, options.onError)
    this.claims = new HeldClaims({
      claims: options.claims ?? claimsFor(options.storage),
      owner: createOwner(),
      leaseMs: options.leaseMs,
      onLost: (id) => this.lost(id),
      onError: options.onError,
    })
  }

  // ---- the JobWorker interface --------------------------------------------

  async start(): Promise<void> {
    this.running = true
    const { store, dispatcher } = this.options
    await store.migrateIndexes()
    if (dispatcher) return this.startDispatched(dispatcher)
    for (const status of CLAIMED_STATUSES) for (const id of (await store.idsWithStatus(status)).sort()) await this.adopt(id, status)
    // Queued jobs are read in batches and queued in id (creation) order; each is claimed when a slot takes it.
    const pending = (await store.idsWithStatus('pending')).sort()
    for (let at = 0; at < pending.length; at += LOAD_BATCH) {
      const batch = await Promise.all(pending.slice(at, at + LOAD_BATCH).map((id) => (this.active.has(id) ? null : store.get(id))))
      for (const stored of batch) {
        if (stored?.status === 'pending') await this.take(stored, 'pending', false)
        // Indexed as queued but stored as started: its worker died between the two writes (a
        // store that cannot write both at once), so it is taken over as a started job.
        else if (stored && isClaimedStatus(stored.status)) await this.adopt(stored.id, 'pending')
      }
    }
    this.sweepTimer = setInterval(() => void this.sweep(), this.options.leaseMs).unref()
  }

  add(queued: QueuedJob): void | Promise<void> {
    const { dispatcher } = this.options
    if (dispatcher) return dispatcher.dispatch(queued.record, storedJob(queued.record, 0, queued.machine))
    const job = liveJob(queued, queued.record.status)
    this.active.set(job.record.id, job)
    this.enqueue(job)
  }

  record(id: string): JobRecord | undefined {
    const job = this.active.get(id)
    return job && publicRecord(job)
  }

  final(id: string): Promise<JobRecord> | undefined {
    const job = this.active.get(id)
    return job && (job.final ??= createDeferred()).promise
  }

  output(id: string): OutputLog | undefined {
    const job = this.active.get(id)
    return job && this.outputOf(job)
  }

  cancel(id: string, reason?: string): Promise<JobRecord> | undefined {
    const job = this.active.get(id)
    if (!job) return this.options.dispatcher && this.cancelElsewhere(id, reason)
    const final = this.final(id)!
    this.send(job, { type: 'job.cancel', reason })
    return final
  }

  async stop(graceMs: number): Promise<void> {
    this.running = false
    clearInterval(this.sweepTimer)
    // The dispatcher takes no more jobs from here on; it settles once the runs below return.
    const detached = this.options.dispatcher?.stop()
    const running = [...this.active.values()].filter((job) => job.record.status === 'running')
    if (running.length) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([Promise.all(running.map((job) => this.final(job.record.id))), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))])
      clearTimeout(timer)
      await Promise.all(
        running
          .filter((job) => this.active.get(job.record.id) === job && job.record.status === 'running')
          .map((job) => this.cancel(job.record.id, 'cancelled: the engine stopped')),
      )
    }
    this.options.scheduler.clear()
    await this.letRunsWindDown()
    // Queued jobs stay `pending` in storage, unclaimed: the next worker to start (or a peer's sweep) takes them.
    for (const job of [...this.active.values()]) {
      await this.writes.persisted(job)
      await job.output?.close()
      clearTimeout(job.delayedTimer)
      this.active.delete(job.record.id)
      await this.release(job.record.id)
    }
    this.stopped.resolve('released')
    await detached
    this.claims.stopRenewing()
  }

  /**
   * Gives the actions told to stop a moment to return, so that what they log
   * as they let go is stored; the output of one that does not return in time
   * is closed (later lines are dropped) before the storage is.
   */
  private async letRunsWindDown(): Promise<void> {
    if (!this.runs.size) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(this.runs.values()), new Promise<void>((resolve) => (timer = setTimeout(resolve, SLOT_GRACE_MS)))])
    clearTimeout(timer)
    await Promise.all([...this.actionsRunning].map((job) => this.storeLateOutput(job)))
  }

  // ---- dispatched jobs --------------------------------------------------------

  /** Attaches to the dispatcher, and hands it the stored queued jobs (it dispatches each id once, so several nodes may). */
  private async startDispatched(dispatcher: JobDispatcher): Promise<void> {
    const { store, scheduler, events, leaseMs, onError } = this.options
    const { concurrency, concurrencyKeys } = scheduler.limits
    await dispatcher.start({
      run: (id, carried) => this.runDispatched(id, carried),
      lost: (id) => {
        // Only a job run under the dispatcher's lock is lost with it; a claimed one keeps its own lease.
        if (!this.claims.isEntrusted(id)) return
        void this.release(id)
        this.lost(id)
      },
      cancel: (id, reason) => {
        if (this.active.has(id)) void this.cancel(id, reason)
      },
      events,
      store,
      concurrency,
      concurrencyKeys,
      leaseMs,
      onError,
    })
    for (const id of await store.idsWithStatus('pending')) {
      const stored = await store.get(id)
      if (stored?.status === 'pending') await dispatcher.dispatch(stored)
    }
  }

  /**
   * Runs a job the dispatcher gave this node. On its first delivery it comes
   * with its queued record, under the dispatcher's lock (no node can hold it
   * at the same time, and no cancel can have ended it: a queued job is
   * cancelled only once withdrawn from the dispatcher). Otherwise it is
   * claimed, then restored from storage as a job taken over from a dead
   * worker is (a running job of a dead node is re-run if idempotent, else
   * failed as interrupted).
   */
  private async runDispatched(id: string, carried?: StoredJob): Promise<DispatchedRun> {
    if (!this.running) return 'released'
    const held = this.final(id)
    if (held) return Promise.race([held.then(() => 'done' as const), this.stopped.promise])
    let stored: StoredJob | null = carried ?? null
    if (carried) this.claims.entrust(id)
    else {
      if (!(await this.claims.acquire(id))) return 'busy'
      stored = await this.options.store.get(id)
    }
    if (!stored || finalJobStatuses.has(stored.status)) {
      await this.release(id)
      return 'done'
    }
    await this.restore(stored)
    const final = this.final(id)
    return final ? Promise.race([final.then(() => 'done' as const), this.stopped.promise]) : 'done'
  }

  /**
   * Cancels a job this node does not hold: a queued one is withdrawn from the
   * dispatcher and cancelled here under its claim; one that a node holds is
   * cancelled by that node, asked again until the stored job has ended (a
   * node may hold a job a moment without running it: its key was full).
   */
  private async cancelElsewhere(id: string, reason?: string): Promise<JobRecord> {
    const dispatcher = this.options.dispatcher!
    for (;;) {
      if ((await dispatcher.withdraw(id)) && (await this.claims.acquire(id))) {
        const stored = await this.options.store.get(id)
        if (!stored) {
          await this.release(id)
          throw new NotFoundError(`[provisio] [engine] no job "${id}"`)
        }
        if (finalJobStatuses.has(stored.status) || !(await this.hold(stored))) {
          await this.release(id)
          return jobRecord(stored)
        }
        return this.cancel(id, reason)!
      }
      dispatcher.requestCancel(id, reason)
      await sleep(CANCEL_RETRY_MS)
      if (this.active.has(id)) return this.cancel(id, reason)!
      const stored = await this.options.store.get(id)
      if (!stored) throw new NotFoundError(`[provisio] [engine] no job "${id}"`)
      if (finalJobStatuses.has(stored.status)) return jobRecord(stored)
    }
  }

  // ---- claims ---------------------------------------------------------------

  /**
   * Takes over a running or retrying job no worker here holds, if its claim
   * can be had: a live peer holds it, or its worker died and the lease lapsed.
   */
  private async adopt(id: string, indexedStatus: JobStatus): Promise<void> {
    if (this.active.has(id) || !this.running || !(await this.claims.acquire(id))) return
    const stored = await this.options.store.get(id)
    if (stored) await this.take(stored, indexedStatus, true)
    else await this.release(id)
  }

  /**
   * Restores a stored job found under `indexedStatus`, unless it ended (its
   * worker released it after storing the end). Without the job's claim, only
   * a job still queued: one that moved on is another worker's.
   */
  private async take(stored: StoredJob, indexedStatus: JobStatus, claimed: boolean): Promise<void> {
    if (!claimed && stored.status !== 'pending') return
    if (stored.status !== indexedStatus) await this.options.store.repair(stored, indexedStatus)
    if (finalJobStatuses.has(stored.status) || this.active.has(stored.id)) {
      if (claimed) await this.release(stored.id)
      return
    }
    await this.restore(stored)
  }

  /** Looks for jobs whose worker stopped renewing their claims (it died), and takes them over. */
  private async sweep(): Promise<void> {
    try {
      for (const status of CLAIMED_STATUSES) for (const id of await this.options.store.idsWithStatus(status)) await this.adopt(id, status)
    } catch (error) {
      this.options.onError(error, 'looking for jobs whose worker died')
    }
  }

  /**
   * Claims a queued job before its run; false when another worker has it (or
   * had it: then its stored end is what this worker reports).
   */
  private async claim(job: LiveJob): Promise<boolean> {
    const id = job.record.id
    if (!(await this.claims.acquire(id))) {
      this.letGo(job)
      return false
    }
    // Still queued, unless a peer ran it before this worker's slot came (or took it and stopped).
    if (await this.options.store.isQueued(job.record)) return true
    const stored = await this.options.store.get(id)
    if (!stored || finalJobStatuses.has(stored.status)) {
      await this.release(id)
      this.letGo(job, stored ?? undefined)
      return false
    }
    return true
  }

  /** Drops a job another worker owns; its end is read from storage by whoever waits. */
  private letGo(job: LiveJob, stored?: StoredJob): void {
    const id = job.record.id
    if (this.active.get(id) === job) this.active.delete(id)
    job.letGo = true
    clearTimeout(job.delayedTimer)
    job.clearTimeout?.()
    job.abortRun?.(new Error('the job was taken over by another worker'))
    job.freeSlot?.()
    job.final?.resolve(stored && finalJobStatuses.has(stored.status) ? jobRecord(stored) : followStored(this.options.store, id))
  }

  private lost(id: string): void {
    const job = this.active.get(id)
    if (!job) return
    this.options.onError(new Error(`the claim on job ${id} lapsed before it was renewed; another worker may run it`), `job ${id}`)
    this.letGo(job)
  }

  private async release(id: string): Promise<void> {
    try {
      await this.claims.release(id)
    } catch (error) {
      // The lease lapses on its own.
      this.options.onError(error, `releasing the claim on job ${id}`)
    }
  }

  // ---- running ----------------------------------------------------------------

  private async restore(stored: StoredJob): Promise<void> {
    const job = await this.hold(stored)
    if (!job) return
    if (stored.status === 'running' && !job.action.idempotent) {
      this.send(job, { type: 'job.interrupt' })
      return
    }
    if (stored.status !== 'pending') this.setStatus(job, 'pending', job.machine.context as JobMachineContext | undefined)
    this.enqueue(job)
  }

  /** Makes a stored job one this worker holds (claimed), or stores it failed when its action is gone. */
  private async hold(stored: StoredJob): Promise<LiveJob | undefined> {
    const registered = this.options.providers.get(stored.provider)
    const action = registered?.provider.actions[stored.action]
    if (!registered || !action) {
      const failed: StoredJob = {
        ...stored,
        status: 'failed',
        finishedAt: new Date().toISOString(),
        error: { message: `provider "${stored.provider}" or its action "${stored.action}" is no longer registered`, code: 'unknown_action' },
      }
      await this.options.store.save(failed, stored.status)
      await this.release(stored.id)
      return undefined
    }
    const input = action.redact ? await this.options.store.getFullInput(stored.id) : stored.input
    const machine = stored.machine ?? { version: JOB_MACHINE_VERSION, value: stored.status, context: undefined }
    const job = liveJob({ record: jobRecord(stored), machine, input, action, registered }, stored.status)
    this.active.set(stored.id, job)
    return job
  }

  private enqueue(job: LiveJob): void {
    const { scheduler } = this.options
    const key = job.record.concurrencyKey
    job.waiting = scheduler.waitReason(key)
    scheduler.schedule(
      () => this.runSlot(job),
      key,
      key === undefined
        ? undefined
        : () => {
            if (job.record.status === 'pending') job.waiting = scheduler.waitReason(undefined)
          },
    )
  }

  private isRunnable(job: LiveJob): boolean {
    return this.active.get(job.record.id) === job && job.record.status === 'pending' && this.running
  }

  /** One run of a job inside a scheduler slot; returns when the slot is free again. */
  private runSlot(job: LiveJob): Promise<void> {
    if (!this.isRunnable(job)) return NOTHING_TO_RUN
    const turnEnded = this.nextTurn()
    if (turnEnded) return turnEnded.then(() => this.runSlot(job))
    if (this.claims.has(job.record.id)) return this.startRun(job)
    return this.claim(job).then((claimed) => (claimed && this.isRunnable(job) ? this.startRun(job) : undefined))
  }

  /**
   * Quick jobs start one another without leaving the event loop's current turn: after
   * `JOBS_PER_TURN` starts, the next waits for a new turn, so that I/O, timers and the
   * storage's own callbacks (an fs store's commits) run during a burst, and the jobs that
   * ended are stored and let go before the burst goes on.
   */
  private nextTurn(): Promise<void> | undefined {
    if (this.startsThisTurn++ === 0)
      this.turnEnded = new Promise<void>((resolve) =>
        setImmediate(() => {
          this.startsThisTurn = 0
          resolve()
        }),
      )
    return this.startsThisTurn > JOBS_PER_TURN ? this.turnEnded : undefined
  }

  private startRun(job: LiveJob): Promise<void> {
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

  /** Starts the attempt that just began running, and keeps track of it until it has returned. */
  private startAttempt(job: LiveJob, attempt: number): void {
    const run = this.run(job, attempt)
    this.runs.set(job, run)
    void run.finally(() => {
      if (this.runs.get(job) === run) this.runs.delete(job)
    })
  }

  /** Runs the attempt that just started; its slot is free before the machine hears how it ended. */
  private async run(job: LiveJob, attempt: number): Promise<void> {
    this.actionsRunning.add(job)
    const outcome = await runAction(job, attempt, { events: this.options.events, hooks: this.options.hooks, outputOf: (live) => this.outputOf(live) })
    this.actionsRunning.delete(job)
    // The status change then holds no slot open for a grace period (nor the job, in a timer).
    job.freeSlot?.()
    if (job.letGo) return
    // Ended while its action ran (cancelled, timed out): the lines it logged as it let go are stored now.
    if (finalJobStatuses.has(job.record.status)) await this.storeLateOutput(job)
    else this.send(job, outcome)
  }

  /** Closes the output of a job that ended before its action returned, and stores its line count with the record. */
  private async storeLateOutput(job: LiveJob): Promise<void> {
    this.actionsRunning.delete(job)
    if (!job.output || job.output.closed) return
    try {
      await job.output.close()
      await this.writes.persistNow(job)
    } catch (error) {
      this.options.onError(error, `storing output of job ${job.record.id}`)
    }
  }

  private outputOf(job: LiveJob): OutputLog {
    job.output ??= new OutputLog(this.options.storage, job.record.id, job.record.outputLines, (error) =>
      this.options.onError(error, `storing output of job ${job.record.id}`),
    )
    return job.output
  }

  // ---- the job's machine ----------------------------------------------------

  /**
   * Gives the job's machine an event (see `transitionJob`). An event sent while
   * the machine takes another (from a status listener, or a slot that starts a
   * job requeued by this very change) is taken right after it, in order.
   */
  private send(job: LiveJob, event: JobMachineEvent): void {
    if (job.stepping) {
      queueMicrotask(() => this.send(job, event))
      return
    }
    const current = job.snapshot ?? this.resolveSnapshot(job)
    if (current.status !== 'active') return
    job.stepping = true
    try {
      const { snapshot, delayed } = transitionJob(current, event)
      job.snapshot = snapshot
      for (const later of delayed) {
        clearTimeout(job.delayedTimer)
        job.delayedTimer = setTimeout(() => this.send(job, later.event), later.delay)
      }
      if (snapshot !== current) this.onSnapshot(job, snapshot.value as JobStatus, snapshot.context)
    } catch (error) {
      this.options.onError(error, `job ${job.record.id} machine`)
    } finally {
      job.stepping = false
    }
  }

  private resolveSnapshot(job: LiveJob): JobSnapshot {
    const stored = job.machine
    const context =
      stored?.version === JOB_MACHINE_VERSION
        ? (stored.context as JobMachineContext)
        : initialJobContext({ retry: job.record.retry, timeoutMs: job.record.timeoutMs, attempt: job.record.attempt })
    if (isInitialJobContext(context)) return this.initialSnapshot
    // Always from `pending`: a job that was running when the process died must not replay its action.
    return jobMachine.resolveState({ value: 'pending', context })
  }

  private onSnapshot(job: LiveJob, status: JobStatus, context: JobMachineContext): void {
    if (status === job.record.status && context.attempt === job.record.attempt) return
    this.setStatus(job, status, context)
  }

  private setStatus(job: LiveJob, status: JobStatus, context: JobMachineContext = initialJobContext()): void {
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
    this.writes.markDirty(job)
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
    if (status === 'running') this.startAttempt(job, context.attempt)
    if (status === 'pending' && previous === 'retrying') this.enqueue(job)
    if (finalJobStatuses.has(status)) void this.finalize(job)
  }

  /** The machine models the timeout (`job.timeout`); the timer lives here so that only jobs with a timeout pay for one. */
  private armTimeout(job: LiveJob): void {
    const { timeoutMs, attempt } = job.record
    if (timeoutMs === undefined) return
    const timer = setTimeout(() => {
      if (job.record.status === 'running' && job.record.attempt === attempt) this.send(job, { type: 'job.timeout' })
    }, timeoutMs)
    job.clearTimeout = () => clearTimeout(timer)
  }

  private emitStatus(job: LiveJob, previous: JobStatus | null): void {
    const events = this.options.events
    // Building the payload's record copy is most of an event's cost: skip it when nobody listens.
    if (!events.listenerCount('job:status')) return
    events.emit('job:status', { id: job.record.id, status: job.record.status, previous, job: publicRecord(job) })
  }

  /** Stores the job's end, then releases its claim: a peer that claims it next finds it ended. */
  private async finalize(job: LiveJob): Promise<void> {
    const id = job.record.id
    try {
      // An action still running may log as it lets go: its output is closed once it returns (`storeLateOutput`).
      if (job.output) await (this.actionsRunning.has(job) ? job.output.flush() : job.output.close())
      await this.writes.persistNow(job)
      if (job.action.redact) await this.options.store.removeFullInput(id)
    } catch (error) {
      this.options.onError(error, `finishing job ${id}`)
    }
    clearTimeout(job.delayedTimer)
    if (this.active.get(id) === job) this.active.delete(id)
    await this.release(id)
    const record = publicRecord(job)
    job.final?.resolve(record)
    if (this.options.hooks.afterJob.size)
      for (const hook of this.options.hooks.afterJob) {
        try {
          await hook({ job: record })
        } catch (error) {
          this.options.onError(error, `afterJob hook of job ${id}`)
        }
      }
  }
}
