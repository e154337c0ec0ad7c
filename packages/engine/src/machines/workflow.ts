import { assign, fromPromise, setup, type StateValue } from 'xstate'
import type { WorkflowError, WorkflowStatus } from '../workflows/types'

/** Stored with each persisted snapshot; a snapshot of another version is not restored. */
export const WORKFLOW_MACHINE_VERSION = 1

/** How a run of the operations ended. */
export interface RunOutcome {
  failed: boolean
  cancelled: boolean
  /** Some completed run could be rolled back. */
  undoable: boolean
  error?: WorkflowError
}

export interface RollbackOutcome {
  success: boolean
  error?: WorkflowError
}

/** The side effects the machine drives; the workflow service implements them. */
export interface WorkflowMachineEffects {
  /** Runs (or resumes) the workflow's unsettled operations until each has settled. */
  runOperations: (workflowId: string) => Promise<RunOutcome>
  /** Undoes the workflow's completed operations in reverse topological order. */
  rollBack: (workflowId: string) => Promise<RollbackOutcome>
  /** Cancels running operations' jobs and skips the pending ones; `runOperations` then settles. */
  cancelOperations: (workflowId: string) => void
}

export interface WorkflowMachineContext {
  workflowId: string
  rollbackEnabled: boolean
  cancelRequested: boolean
  error?: WorkflowError
}

export type WorkflowMachineEvent = { type: 'workflow.start' } | { type: 'workflow.cancel' } | { type: 'workflow.retry' }

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
 * The lifecycle of one workflow. Operations run inside `running` (the
 * `runOperations` child actor schedules the DAG); a failure or a cancel goes
 * through `rollingBack` when rollback is enabled and something can be undone.
 * Restoring a persisted snapshot taken in `running` or `rollingBack` restarts
 * that child, which resumes from the stored operation records.
 *
 * Operations are records scheduled by that one child rather than an actor
 * each: an xstate actor per operation measured 60–200 µs (spawn, transitions,
 * report, stop; xstate copies `children` on every spawn and stop), about a
 * whole plain job's cost, which broke the 2x bench goal (docs/workflows.md).
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
      rollBack: fromPromise<RollbackOutcome, { workflowId: string }>(({ input }) => effects.rollBack(input.workflowId)),
    },
    actions: {
      cancelOperations: ({ context }) => effects.cancelOperations(context.workflowId),
      markCancelRequested: assign({ cancelRequested: true }),
      clearForRetry: assign({ cancelRequested: false, error: undefined }),
    },
  }).createMachine({
    id: 'workflow',
    initial: 'pending',
    context: ({ input }) => ({ workflowId: input.workflowId, rollbackEnabled: input.rollbackEnabled, cancelRequested: false }),
    states: {
      pending: {
        on: {
          'workflow.start': 'running',
          'workflow.cancel': { target: 'cancelled', actions: 'markCancelRequested' },
        },
      },
      running: {
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
        on: { 'workflow.cancel': { guard: ({ context }) => !context.cancelRequested, actions: ['markCancelRequested', 'cancelOperations'] } },
      },
      rollingBack: {
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
      completed: { type: 'final' },
      failed: { on: { 'workflow.retry': { target: 'running', actions: 'clearForRetry' } } },
      cancelled: { on: { 'workflow.retry': { target: 'running', actions: 'clearForRetry' } } },
      rolledBack: { on: { 'workflow.retry': { target: 'running', actions: 'clearForRetry' } } },
    },
  })
}

export type WorkflowMachine = ReturnType<typeof createWorkflowMachine>

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
