import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { createActor, type Actor, type AnyActorRef, type SnapshotFrom } from 'xstate'
import { NotFoundError, ProvisioError } from '../errors'
import { createOwner } from '../jobs/claims'
import { HeldClaims } from '../jobs/claims/held'
import {
  createWorkflowMachine,
  OPERATION_RUN,
  WORKFLOW_MACHINE_VERSION,
  workflowStatusOf,
  type RollbackOutcome,
  type WorkflowMachine,
} from '../machines/workflow'
import type { WorkflowHost, WorkflowService, WorkflowServiceOptions } from './api'
import { CheckpointStore, createCheckpointsApi, type WorkflowAccess } from './checkpoints'
import { createLiveWorkflow, setOperationProgress, workflowPercent, type LiveWorkflow } from './live'
import { DurationStats, workflowProgress } from './progress'
import { RollbackLog, runUndos, undoTargets, type UndoHost } from './rollback'
import { rollbackRequest } from './rollback-request'
import { OperationRunner, type RunnerHost } from './runner'
import { workflowStats } from './stats'
import { initialState, operationRecord, WorkflowStore, type StoredWorkflow, type WorkflowHeader } from './store'
import {
  finalWorkflowStatuses,
  type OperationRecord,
  type OperationRun,
  type OperationStatus,
  type RollbackResult,
  type WorkflowRecord,
  type WorkflowSnapshot,
  type WorkflowStatus,
} from './types'
import { validateWorkflow } from './validate'

/** A workflow this process drives: its records in memory and its machine. */
interface ActiveWorkflow {
  live: LiveWorkflow
  actor?: Actor<WorkflowMachine>
  runner?: OperationRunner
  /** Set when resuming: runs may already have jobs that were never recorded. */
  adoptJobs: boolean
  /** Transitions are persisted one after the other, in order. */
  persisting: Promise<void>
  /** Its claim lapsed before it was renewed: another engine may drive it now, so nothing of it is written from here. */
  lost?: boolean
}

/** Runs of a workflow without `parallelLimit` admitted at once (each one a child actor of its machine). */
const DEFAULT_ADMISSION_WINDOW = 16

const activeStatuses: ReadonlySet<WorkflowStatus> = new Set(['pending', 'running', 'rolling_back'])

/** How often `wait` reads back a workflow that another engine drives. */
const FOLLOW_INTERVAL_MS = 100

/** Names of the machine's internal events in the transition history. */
const historyEventNames: Record<string, string> = {
  'xstate.init': 'workflow.submitted',
  'xstate.done.actor.runOperations': 'operations.settled',
  'xstate.error.actor.runOperations': 'operations.crashed',
  'xstate.done.actor.rollBack': 'rollback.finished',
  'xstate.error.actor.rollBack': 'rollback.crashed',
}

export function createWorkflowService(host: WorkflowHost, options: WorkflowServiceOptions = {}): WorkflowService {
  const store = new WorkflowStore(host.storage)
  const checkpointStore = new CheckpointStore(host.storage)
  const rollbackLog = new RollbackLog(host.storage)
  const durations = new DurationStats(host.storage)
  const active = new Map<string, ActiveWorkflow>()
  /** Jobs of running operations, for their progress reports. */
  const trackedJobs = new Map<string, { live: LiveWorkflow; operation: OperationRecord }>()
  let stopped = false
  const admissionWindow = options.admissionWindow ?? DEFAULT_ADMISSION_WINDOW
  const reportError = (error: unknown, context: string) =>
    host.events.emit('engine:error', { error: error instanceof Error ? error : new Error(String(error)), context })
  // An engine drives a workflow only while it holds the workflow's claim, renewed as it runs.
  const held = new HeldClaims({ claims: host.claims, owner: createOwner(), leaseMs: host.leaseMs, onLost: (id) => lose(id), onError: reportError })
  let takeOverTimer: NodeJS.Timeout | undefined
  let cancelTimer: NodeJS.Timeout | undefined
  let takingOver: Promise<void> | undefined

  const undoHost: UndoHost = {
    jobs: host.jobs,
    getAction: host.getAction,
    saveOperation: (workflowId, operation) => store.saveOperation(workflowId, operation),
    undoRetry: options.undoRetry ?? { attempts: 3, backoffMs: 200, factor: 2 },
    stopped: () => stopped,
  }

  const machine = createWorkflowMachine({
    // Each effect starts once the transition into its state is stored (and announced):
    // no job is submitted for a workflow whose `running` status could still be lost.
    // xstate starts an invoked actor before it reports the new snapshot, so the
    // write of that snapshot is queued one microtask later.
    runOperations: async (workflowId) => {
      const entry = active.get(workflowId)!
      await Promise.resolve()
      await entry.persisting
      await durations.load()
      entry.runner = new OperationRunner(entry.live, runnerHost(entry), { adoptJobs: entry.adoptJobs, admissionWindow })
      return entry.runner.run()
    },
    admittedRuns: (workflowId) => active.get(workflowId)?.runner?.takeAdmitted() ?? [],
    executeRun: (run) => active.get(run.workflowId)!.runner!.execute(run),
    settleRun: (report) => active.get(report.run.workflowId)?.runner?.settle(report),
    rollBack: async (workflowId) => {
      const entry = active.get(workflowId)!
      await Promise.resolve()
      await entry.persisting
      const { live } = entry
      const result = await runUndos(undoHost, undoTargets(workflowId, live.graph, live.byPosition), { rollbackId: randomUUID(), workflowId })
      // Cut short by a stop: the next start resumes this rollback, which records the outcome.
      if (stopped) return rollbackOutcome(result)
      live.header.rollback = result
      await recordRollback(result)
      return rollbackOutcome(result)
    },
    cancelOperations: (workflowId) => active.get(workflowId)?.runner?.cancel(),
  })

  // A job may report progress before `submit` has returned its id to the runner:
  // the latest report of a few recent unknown jobs is kept until they are claimed.
  const unclaimedProgress = new Map<string, { percent: number; step?: string }>()
  const onJobProgress = (event: { id: string; percent: number; step?: string }) => {
    const tracked = trackedJobs.get(event.id)
    if (!tracked) {
      unclaimedProgress.delete(event.id)
      unclaimedProgress.set(event.id, event)
      if (unclaimedProgress.size > 256) unclaimedProgress.delete(unclaimedProgress.keys().next().value!)
      return
    }
    applyProgress(tracked.live, tracked.operation, event)
  }
  host.events.on('job:progress', onJobProgress)

  function applyProgress(live: LiveWorkflow, operation: OperationRecord, { percent, step }: { percent: number; step?: string }) {
    if (!operation.items) setOperationProgress(live, operation, Math.max(0, Math.min(100, percent)))
    if (step) operation.step = step
    emitProgress(live, operation.step)
  }

  function runnerHost(entry: ActiveWorkflow): RunnerHost {
    const { live } = entry
    return {
      jobs: host.jobs,
      // Not after the engine stopped, or let the workflow go: its machine is stopped then.
      runsAdmitted: () => {
        if (!stopped && !entry.lost) entry.actor?.send({ type: 'operations.admitted' })
      },
      saveOperations: (operations) => store.saveOperations(live.header.id, operations),
      operationChanged: (operation, previous) => {
        if (operation.status !== previous && host.events.listenerCount('workflow:operation')) {
          host.events.emit('workflow:operation', { id: live.header.id, operationId: operation.id, status: operation.status, previous, operation })
        }
        emitProgress(live)
      },
      jobStarted: (jobId, operation) => {
        trackedJobs.set(jobId, { live, operation })
        const early = unclaimedProgress.get(jobId)
        if (early) {
          unclaimedProgress.delete(jobId)
          applyProgress(live, operation, early)
        }
      },
      jobSettled: (jobId, job) => {
        trackedJobs.delete(jobId)
        if (job?.status === 'completed' && job.durationMs !== undefined) durations.record(job.provider, job.action, job.durationMs)
      },
    }
  }

  function emitProgress(live: LiveWorkflow, currentStep?: string) {
    if (!host.events.listenerCount('workflow:progress')) return
    host.events.emit('workflow:progress', {
      id: live.header.id,
      progress: workflowPercent(live),
      completedSteps: live.settledCount,
      totalSteps: live.operations.size,
      ...(currentStep ? { currentStep } : {}),
    })
  }

  /** Creates (or restores) the machine of an active workflow and persists each of its transitions. */
  function startMachine(entry: ActiveWorkflow, persisted?: unknown) {
    const { header } = entry.live
    const actor: Actor<WorkflowMachine> = createActor(machine, {
      input: { workflowId: header.id, rollbackEnabled: header.rollbackEnabled },
      ...(persisted ? { snapshot: persisted as SnapshotFrom<WorkflowMachine> } : {}),
      ...(options.inspect ? { inspect: options.inspect } : {}),
    })
    // A restored machine replays no transition: its first snapshot is not one.
    let restoring = persisted !== undefined
    actor.subscribe((snapshot) => {
      if (restoring) restoring = false
      else if (!stopped && !entry.lost) onTransition(entry, actor, snapshot)
    })
    entry.actor = actor
    actor.start()
    return actor
  }

  /**
   * The machine's persisted snapshot without its operation-run children: the
   * header is written on workflow transitions only, so those would be stale;
   * the operation records are the truth a restored machine resumes from.
   */
  function persistedMachine(actor: AnyActorRef): unknown {
    const snapshot = actor.getPersistedSnapshot() as unknown as { children: Record<string, { src: unknown }> }
    const children = Object.fromEntries(Object.entries(snapshot.children).filter(([, child]) => child.src !== OPERATION_RUN))
    return { ...snapshot, children }
  }

  function onTransition(entry: ActiveWorkflow, actor: AnyActorRef, snapshot: SnapshotFrom<WorkflowMachine>) {
    const { header } = entry.live
    const event = snapshot.context.cause
    const status = workflowStatusOf(snapshot.value)
    const previous = header.status
    const changed = status !== previous || snapshot.context.cancelRequested !== header.cancelRequested || event === 'xstate.init'
    if (!changed) return
    const now = new Date().toISOString()
    header.status = status
    header.cancelRequested = snapshot.context.cancelRequested
    if (snapshot.context.error) header.error = snapshot.context.error
    else delete header.error
    // Each run (the first, then each retry) is timed on its own.
    if (status === 'running' && previous !== 'running') {
      header.startedAt = now
      delete header.finishedAt
      delete header.durationMs
    }
    if (finalWorkflowStatuses.has(status)) {
      header.finishedAt = now
      header.durationMs = Date.parse(now) - Date.parse(header.startedAt ?? header.createdAt)
    }
    header.progress = workflowPercent(entry.live)
    header.machine = persistedMachine(actor)
    header.machineVersion = WORKFLOW_MACHINE_VERSION
    header.history = [...header.history, snapshotRecord(entry.live, status, historyEventNames[event] ?? event, event === 'xstate.init' ? null : previous)]
    const saved = { ...header }
    persist(entry, async () => {
      await store.saveHeader(saved)
      if (finalWorkflowStatuses.has(status)) {
        await durations.save()
        if (active.get(header.id) === entry) active.delete(header.id)
        entry.actor?.stop()
        await release(header.id)
      }
      const { machine: _machine, machineVersion: _version, history: _history, ...summary } = saved
      host.events.emit('workflow:status', { id: header.id, status, previous: event === 'xstate.init' ? null : previous, workflow: summary })
    })
  }

  function persist(entry: ActiveWorkflow, write: () => Promise<void>) {
    entry.persisting = entry.persisting
      .then(() => (entry.lost ? undefined : write()))
      .catch((error: Error) => {
        host.events.emit('engine:error', { error, context: `workflow ${entry.live.header.id}: persisting a transition` })
      })
  }

  async function release(id: string) {
    try {
      await held.release(id)
    } catch (error) {
      // The lease lapses on its own.
      reportError(error, `releasing the claim on workflow ${id}`)
    }
  }

  /** Its claim lapsed (this process stalled past a lease): another engine may have taken it over, so this one lets it go. */
  function lose(id: string) {
    const entry = active.get(id)
    if (!entry) return
    entry.lost = true
    entry.runner?.detach()
    entry.actor?.stop()
    active.delete(id)
    reportError(new Error(`the claim on workflow ${id} lapsed before it was renewed; another engine may drive it`), `workflow ${id}`)
  }

  /**
   * Carries out the cancellations asked for through the storage (`cancel` on
   * an engine that does not drive the workflow) of the workflows driven here;
   * requests for workflows that ended are dropped.
   */
  async function honourCancelRequests() {
    try {
      for (const id of await store.cancelRequests()) {
        const entry = active.get(id)
        if (entry) entry.actor?.send({ type: 'workflow.cancel' })
        else if (!finalWorkflowStatuses.has((await store.header(id))?.status ?? 'completed')) continue
        await store.clearCancelRequest(id)
      }
    } catch (error) {
      reportError(error, 'carrying out cancellations asked for by other engines')
    }
  }

  /**
   * Takes over the unfinished workflows no engine holds: those of an engine
   * that stopped, or died (its claim lapsed). Each continues from its stored
   * state; the claim is taken before the state is read, so it is the latest.
   */
  function takeOver(): Promise<void> {
    takingOver ??= (async () => {
      try {
        for (const { id, status } of (await store.entries()).values()) {
          if (stopped) return
          if (!activeStatuses.has(status) || active.has(id) || !(await held.acquire(id))) continue
          const stored = await store.load(id)
          if (stored && activeStatuses.has(stored.header.status) && !active.has(id) && !stopped) await resumeWorkflow(stored)
          else if (!active.has(id)) await release(id)
        }
        await honourCancelRequests()
      } catch (error) {
        reportError(error, 'looking for workflows whose engine stopped or died')
      } finally {
        takingOver = undefined
      }
    })()
    return takingOver
  }

  function snapshotRecord(live: LiveWorkflow, status: WorkflowStatus, event: string, previous: WorkflowStatus | null): WorkflowSnapshot {
    const operations = { pending: 0, running: 0, completed: 0, failed: 0, skipped: 0, cancelled: 0 } as Record<OperationStatus, number>
    for (const operation of live.operations.values()) operations[operation.status]++
    return {
      snapshot_id: randomUUID(),
      timestamp: new Date().toISOString(),
      state: status,
      details: {
        event,
        previous,
        attempt: live.header.attempt,
        operations,
        progress: workflowPercent(live),
        ...(live.header.error ? { error: live.header.error } : {}),
      },
    }
  }

  async function recordRollback(result: RollbackResult) {
    await rollbackLog.add(result)
    host.events.emit('rollback:completed', { rollback: result })
  }

  function rollbackOutcome(result: RollbackResult): RollbackOutcome {
    if (result.success) return { success: true }
    return {
      success: false,
      error: {
        message: `rollback ${result.rollbackId} could not undo ${result.operationsFailed} operation run(s)`,
        undoErrors: result.errors.map(({ operationId, item, error }) => ({ operationId, ...(item !== undefined ? { item } : {}), error })),
      },
    }
  }

  /**
   * A copy of what changes (header, operations, runs), so callers never hold
   * the live records; inputs, items and results are shared, as nothing here
   * mutates them (a deep copy of a large workflow is dear: docs/benchmarks.md).
   */
  function toRecord(live: LiveWorkflow): WorkflowRecord {
    const operations = live.byPosition.map((operation) => {
      const copy = operationRecord(operation, operation, operation.index)
      copy.runs = operation.runs.map(copyRun)
      return copy
    })
    return recordOf({ ...live.header, labels: { ...live.header.labels } }, operations)
  }

  function recordOf(header: WorkflowHeader, operations: OperationRecord[]): WorkflowRecord {
    const { machine: _machine, machineVersion: _version, history: _history, ...rest } = header
    return { ...rest, progress: rest.status === 'completed' ? 100 : rest.progress, operations }
  }

  async function load(id: string): Promise<StoredWorkflow> {
    const stored = await store.load(id)
    if (!stored) throw new NotFoundError(`[provisio] [workflows] no workflow "${id}"`)
    return stored
  }

  /** Every workflow, the ones driven here as they are in memory. */
  async function allWorkflows(): Promise<StoredWorkflow[]> {
    const out: StoredWorkflow[] = []
    for (const id of (await store.entries()).keys()) {
      const entry = active.get(id)
      if (entry) out.push(structuredClone({ header: entry.live.header, operations: [...entry.live.operations.values()] }))
      else {
        const stored = await store.load(id)
        if (stored) out.push(stored)
      }
    }
    return out
  }

  function refuseIfActive(ids: Iterable<string>, what: string) {
    for (const id of ids) {
      if (active.has(id)) {
        throw new ProvisioError(
          `[provisio] [workflows] cannot ${what} while workflow "${id}" is ${active.get(id)!.live.header.status}: cancel it or wait for it`,
          {
            code: 'conflict',
          },
        )
      }
    }
  }

  /** Takes a stored workflow over: restores its machine and lets it continue. */
  function activate(stored: StoredWorkflow, adoptJobs: boolean): ActiveWorkflow {
    const entry: ActiveWorkflow = { live: createLiveWorkflow(stored.header, stored.operations), adoptJobs, persisting: Promise.resolve() }
    active.set(stored.header.id, entry)
    return entry
  }

  async function resumeWorkflow(stored: StoredWorkflow) {
    const { header } = stored
    const entry = activate(stored, true)
    if (header.machineVersion !== WORKFLOW_MACHINE_VERSION || !header.machine) {
      active.delete(header.id)
      header.status = 'failed'
      header.error = { message: `stored by workflow machine version ${header.machineVersion}, this engine runs ${WORKFLOW_MACHINE_VERSION}: not resumed` }
      await store.saveHeader(header)
      await release(header.id)
      return
    }
    header.history = [...header.history, snapshotRecord(entry.live, header.status, 'workflow.resumed', header.status)]
    const saved = { ...header }
    persist(entry, () => store.saveHeader(saved))
    const actor = startMachine(entry, header.machine)
    if (header.status === 'pending') actor.send({ type: 'workflow.start' })
  }

  const workflows: WorkflowService['workflows'] = {
    async submit(submission) {
      if (stopped) throw new ProvisioError('[provisio] [workflows] the engine is stopped', { code: 'engine_state' })
      const { submission: spec, operations: normalized } = validateWorkflow(submission, host.getAction, host.unavailableProviders)
      const id = randomUUID()
      await held.acquire(id)
      const operations = normalized.map((operation, index) => operationRecord(operation, initialState(operation), index))
      const header: WorkflowHeader = {
        id,
        name: spec.name,
        ...(spec.version ? { version: spec.version } : {}),
        status: 'pending',
        ...(spec.parallelLimit ? { parallelLimit: spec.parallelLimit } : {}),
        rollbackEnabled: spec.rollbackEnabled ?? false,
        labels: spec.labels ?? {},
        createdAt: new Date().toISOString(),
        attempt: 1,
        cancelRequested: false,
        progress: 0,
        history: [],
      }
      await store.saveSpecs(id, operations)
      const entry = activate({ header, operations }, false)
      startMachine(entry).send({ type: 'workflow.start' })
      return toRecord(entry.live)
    },

    async get(id) {
      const entry = active.get(id)
      if (entry) return toRecord(entry.live)
      const stored = await store.load(id)
      return stored && recordOf(stored.header, stored.operations)
    },

    async list(query = {}) {
      const page = await store.page(query)
      const items = (await Promise.all(page.ids.map((id) => workflows.get(id)))).filter((record) => record !== undefined)
      return { items, total: page.total, limit: page.limit, offset: page.offset }
    },

    async wait(id) {
      // Driven by another engine (or by none yet): read back until it ends, or until this engine drives it.
      for (let first = true; !active.has(id); first = false) {
        const record = await workflows.get(id)
        if (!record) {
          if (first) throw new NotFoundError(`[provisio] [workflows] no workflow "${id}"`)
        } else if (finalWorkflowStatuses.has(record.status)) return record
        if (active.has(id)) break
        await sleep(FOLLOW_INTERVAL_MS)
      }
      // Driven here: its final record is the one in memory once the final transition is announced.
      const entry = active.get(id)!
      return new Promise<WorkflowRecord>((resolve) => {
        const listener = (event: { id: string; status: WorkflowStatus }) => {
          if (event.id !== id || !finalWorkflowStatuses.has(event.status)) return
          host.events.off('workflow:status', listener)
          resolve(toRecord(entry.live))
        }
        host.events.on('workflow:status', listener)
      })
    },

    async cancel(id) {
      const entry = active.get(id)
      if (entry) {
        entry.actor?.send({ type: 'workflow.cancel' })
        return toRecord(entry.live)
      }
      const stored = await load(id)
      if (!finalWorkflowStatuses.has(stored.header.status)) {
        // Driven by another engine, which reads the request within a third of a lease; driven by none, taken over here and cancelled.
        await store.requestCancel(id)
        await takeOver()
        const taken = active.get(id)
        if (taken) return toRecord(taken.live)
      }
      return recordOf(stored.header, stored.operations)
    },

    async retry(id) {
      refuseIfActive([id], 'retry')
      await load(id)
      if (!(await held.acquire(id))) {
        throw new ProvisioError(`[provisio] [workflows] cannot retry while workflow "${id}" is driven by another engine: cancel it or wait for it`, {
          code: 'conflict',
        })
      }
      // Read once claimed: the latest state, which no other engine changes now.
      const stored = await load(id)
      if (stored.header.status === 'completed' || activeStatuses.has(stored.header.status)) {
        await release(id)
        throw new ProvisioError(
          stored.header.status === 'completed'
            ? `[provisio] [workflows] workflow "${id}" completed: nothing to retry`
            : `[provisio] [workflows] cannot retry while workflow "${id}" is ${stored.header.status}: cancel it or wait for it`,
          { code: 'conflict' },
        )
      }
      const attempt = stored.header.attempt + 1
      const reset = stored.operations.filter((operation) => resetForRetry(operation, attempt))
      stored.header.attempt = attempt
      delete stored.header.rollback
      await store.saveOperations(id, reset)
      const entry = activate(stored, false)
      const actor = startMachine(entry, stored.header.machine)
      actor.send({ type: 'workflow.retry' })
      return toRecord(entry.live)
    },

    async progress(id) {
      const entry = active.get(id)
      await durations.load()
      if (entry) return workflowProgress(entry.live, durations)
      const stored = await load(id)
      return workflowProgress(createLiveWorkflow(stored.header, stored.operations), durations)
    },

    async snapshots(id) {
      const entry = active.get(id)
      if (entry) return structuredClone(entry.live.header.history)
      const header = await store.header(id)
      if (!header) throw new NotFoundError(`[provisio] [workflows] no workflow "${id}"`)
      return header.history
    },
  }

  const access: WorkflowAccess = {
    store,
    checkpointStore,
    all: allWorkflows,
    load,
    activeIds: () => active.keys(),
    refuseIfActive,
    resume: resumeWorkflow,
    async undo(targets, scope) {
      const result = await runUndos(undoHost, targets, scope)
      await recordRollback(result)
      return result
    },
  }

  return {
    workflows,
    checkpoints: createCheckpointsApi(access, host.events),
    rollback: (request) => rollbackRequest(access, request),
    async stats() {
      await durations.load()
      return workflowStats({
        index: [...(await store.entries()).values()],
        durations,
        rollbacks: await rollbackLog.summaries(),
        checkpoints: (await checkpointStore.list()).length,
      })
    },
    async resume() {
      await durations.load()
      await takeOver()
      takeOverTimer = setInterval(() => void takeOver(), host.leaseMs).unref()
      cancelTimer = setInterval(() => void honourCancelRequests(), Math.max(1, Math.floor(host.leaseMs / 3))).unref()
    },
    async stop() {
      stopped = true
      clearInterval(takeOverTimer)
      clearInterval(cancelTimer)
      await takingOver
      for (const entry of active.values()) {
        entry.runner?.detach()
        entry.actor?.stop()
      }
      await Promise.all([...active.values()].map((entry) => Promise.all([entry.persisting, entry.runner?.flush().catch(() => {})])))
      await durations.save()
      // Stored as they are: the next engine to start, or a peer's next look, continues them.
      await Promise.all([...active.keys()].map((id) => release(id)))
      held.stopRenewing()
      active.clear()
      trackedJobs.clear()
      host.events.off('job:progress', onJobProgress)
    },
  }
}

/** A copy of a run, field by field (docs/benchmarks.md). */
function copyRun(run: OperationRun): OperationRun {
  return { status: run.status, jobId: run.jobId, finishedAt: run.finishedAt, result: run.result, error: run.error, durationMs: run.durationMs, undo: run.undo }
}

/** Prepares an operation for a retry; returns whether it will run again. */
function resetForRetry(operation: OperationRecord, attempt: number): boolean {
  const undone = operation.runs.some((run) => run.undo?.status === 'completed')
  if (operation.status === 'completed' && !undone) {
    return false
  }
  operation.runs = operation.runs.map((run) =>
    run.status === 'completed' && run.undo?.status !== 'completed' ? { ...run, undo: undefined } : { status: 'pending' },
  )
  operation.status = 'pending'
  operation.attempt = attempt
  operation.progress = 0
  // Cleared, not deleted, so that the record keeps its shape (docs/benchmarks.md).
  for (const key of ['error', 'skipReason', 'result', 'startedAt', 'finishedAt', 'durationMs', 'rolledBack', 'step'] as const) operation[key] = undefined
  return true
}
