import { assign, enqueueActions, fromPromise, setup, type ActorLogic, type ActorSystem, type EventObject, type Snapshot, type StateValue } from 'xstate'
import type { AdmittedRun, RunOutcome, RunReport } from '../workflows/runner'

export type { RunOutcome } from '../workflows/runner'
import type { WorkflowError, WorkflowStatus } from '../workflows/types'

/** Stored with each persisted snapshot; a snapshot of another version is not restored. */
export const WORKFLOW_MACHINE_VERSION = 1

/** The name of the operation-run actor logic: children with this `src` are runs of operations. */
export const OPERATION_RUN = 'operationRun'

export interface RollbackOutcome {
  success: boolean
  error?: WorkflowError
}

/** The side effects the machine drives; the workflow service implements them. */
export interface WorkflowMachineEffects {
  /**
   * Schedules (or resumes) the workflow's unsettled operations; resolves once
   * each has settled. Runs it admits are taken by `admittedRuns`.
   */
  runOperations: (workflowId: string) => Promise<RunOutcome>
  /** The runs admitted since the last call: the machine spawns one child actor each. */
  admittedRuns: (workflowId: string) => AdmittedRun[]
  /** What a run's child actor does: submits (or adopts) the run's job and waits for it. Never rejects. */
  executeRun: (run: AdmittedRun) => Promise<RunReport>
  /** Hands a finished run's report to the scheduler (which may admit more runs); called by the run's actor. */
  settleRun: (report: RunReport) => void
  /** Undoes the workflow's completed operations in reverse topological order. */
  rollBack: (workflowId: string) => Promise<RollbackOutcome>
  /** Cancels running operations' jobs and skips the pending ones; `runOperations` then settles. */
  cancelOperations: (workflowId: string) => void
}

export type OperationRunSnapshot = Snapshot<RunReport> & { input: AdmittedRun }
export type OperationRunEvent = { type: 'run.settled'; report: RunReport } | { type: 'xstate.stop' }
// Spelled out (the system too) so that the machine's declared type can name it.
export type OperationRunLogic = ActorLogic<OperationRunSnapshot, OperationRunEvent, AdmittedRun, ActorSystem<any>, EventObject>

/**
 * One run of an operation (the operation's job, or one item's): a child actor
 * of the workflow machine, alive from its admission until its job settles.
 * When the job settles it reports to the scheduler, then ends (done).
 * Hand-written rather than `fromPromise`, which gives every actor an
 * `AbortController` that nothing here would use: a cancelled workflow
 * cancels the runs' jobs, and each run still reports how its job ended.
 */
function operationRunLogic(execute: WorkflowMachineEffects['executeRun'], settle: WorkflowMachineEffects['settleRun']): OperationRunLogic {
  return {
    getInitialSnapshot: (_scope, input) => ({ status: 'active', output: undefined, error: undefined, input }),
    start: (snapshot, { self }) => {
      void execute(snapshot.input).then((report) => {
        if (self.getSnapshot().status !== 'active') return
        settle(report)
        self.send({ type: 'run.settled', report })
      })
    },
    transition: (snapshot, event) => {
      if (snapshot.status !== 'active') return snapshot
      if (event.type === 'run.settled') return { status: 'done', output: event.report, error: undefined, input: snapshot.input }
      return { status: 'stopped', output: undefined, error: undefined, input: snapshot.input }
    },
    getPersistedSnapshot: (snapshot) => snapshot,
  }
}

export interface WorkflowMachineContext {
  workflowId: string
  /**
   * The type of the event that led into the current state (or requested the
   * cancel): what the service records in the workflow's history, read from
   * the snapshot rather than from inspection events, which xstate would copy
   * for every child actor's every step.
   */
  cause: string
  rollbackEnabled: boolean
  cancelRequested: boolean
  error?: WorkflowError
}

export type WorkflowMachineEvent =
  | { type: 'workflow.start' }
  | { type: 'workflow.cancel' }
  | { type: 'workflow.retry' }
  /** The scheduler admitted runs outside of this machine's own events (its first wave). */
  | { type: 'operations.admitted' }

const statusByState: Record<string, WorkflowStatus> = {
  pending: 'pending',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  rollingBack: 'rolling_back',
  rolledBack: 'rolled_back',
}

/** The public status of a machine state. */
export function workflowStatusOf(value: StateValue): WorkflowStatus {
  return statusByState[value as string]
}

/**
 * The lifecycle of one workflow. In `running`, the invoked `runOperations`
 * actor schedules the DAG (conditions, skips, joins, limits) over the
 * operation records, and every run it admits becomes a child actor of this
 * machine (`operationRun`, id `run-<slot>`), spawned here. A run reports to
 * the scheduler as its job settles; the runs that lets in are spawned by the
 * next `operations.admitted` event, which the scheduler sends once per turn:
 * quick jobs end in bursts, and a burst's successors cost one transition of
 * this machine rather than one each. A finished run's actor has stopped
 * itself (xstate stops an actor that is done); its entry in `children` is
 * replaced by the slot's next run rather than removed with `stopChild`
 * (docs/benchmarks.md). A failure or a cancel goes through `rollingBack` when rollback
 * is enabled and something can be undone. Restoring a persisted snapshot
 * taken in `running` or `rollingBack` restarts that state's invoked actor,
 * which resumes from the stored operation records (and has the runs that
 * were in flight spawned again, adopting their jobs).
 */
export function createWorkflowMachine(effects: WorkflowMachineEffects) {
  return setup({
    types: {
      context: {} as WorkflowMachineContext,
      input: {} as { workflowId: string; rollbackEnabled: boolean },
      events: {} as WorkflowMachineEvent,
    },
    actors: {
      runOperations: fromPromise<RunOutcome, { workflowId: string }>(({ input }) => effects.runOperations(input.workflowId)),
      [OPERATION_RUN]: operationRunLogic(effects.executeRun, effects.settleRun),
      rollBack: fromPromise<RollbackOutcome, { workflowId: string }>(({ input }) => effects.rollBack(input.workflowId)),
    },
    actions: {
      spawnAdmittedRuns: enqueueActions(({ context, enqueue }) => {
        for (const run of effects.admittedRuns(context.workflowId)) enqueue.spawnChild(OPERATION_RUN, { id: run.actorId, input: run })
      }),
      cancelOperations: ({ context }) => effects.cancelOperations(context.workflowId),
      noteCause: assign({ cause: ({ event }) => event.type }),
      markCancelRequested: assign({ cancelRequested: true, cause: 'workflow.cancel' }),
      clearForRetry: assign({ cancelRequested: false, error: undefined }),
    },
  }).createMachine({
    id: 'workflow',
    initial: 'pending',
    context: ({ input }) => ({ workflowId: input.workflowId, rollbackEnabled: input.rollbackEnabled, cancelRequested: false, cause: 'xstate.init' }),
    states: {
      pending: {
        on: {
          'workflow.start': 'running',
          'workflow.cancel': { target: 'cancelled', actions: 'markCancelRequested' },
        },
      },
      running: {
        entry: 'noteCause',
        invoke: {
          id: 'runOperations',
          src: 'runOperations',
          input: ({ context }) => ({ workflowId: context.workflowId }),
          onDone: [
            {
              guard: ({ context, event }) => context.rollbackEnabled && event.output.undoable && (event.output.failed || event.output.cancelled),
              target: 'rollingBack',
              actions: assign({ error: ({ event }) => event.output.error }),
            },
            { guard: ({ event }) => event.output.cancelled, target: 'cancelled' },
            { guard: ({ event }) => event.output.failed, target: 'failed', actions: assign({ error: ({ event }) => event.output.error }) },
            { target: 'completed' },
          ],
          onError: { target: 'failed', actions: assign({ error: ({ event }) => ({ message: errorMessage(event.error) }) }) },
        },
        on: {
          'operations.admitted': { actions: 'spawnAdmittedRuns' },
          'workflow.cancel': { guard: ({ context }) => !context.cancelRequested, actions: ['markCancelRequested', 'cancelOperations'] },
        },
      },
      rollingBack: {
        entry: 'noteCause',
        invoke: {
          id: 'rollBack',
          src: 'rollBack',
          input: ({ context }) => ({ workflowId: context.workflowId }),
          onDone: [
            { guard: ({ event }) => event.output.success, target: 'rolledBack' },
            { target: 'failed', actions: assign({ error: ({ event }) => event.output.error }) },
          ],
          onError: { target: 'failed', actions: assign({ error: ({ event }) => ({ message: errorMessage(event.error) }) }) },
        },
      },
      completed: { type: 'final', entry: 'noteCause' },
      failed: { entry: 'noteCause', on: { 'workflow.retry': { target: 'running', actions: 'clearForRetry' } } },
      cancelled: { entry: 'noteCause', on: { 'workflow.retry': { target: 'running', actions: 'clearForRetry' } } },
      rolledBack: { entry: 'noteCause', on: { 'workflow.retry': { target: 'running', actions: 'clearForRetry' } } },
    },
  })
}

export type WorkflowMachine = ReturnType<typeof createWorkflowMachine>

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
