import type { CheckpointStore } from './checkpoints'
import type { UndoTarget } from './rollback'
import type { StoredWorkflow, WorkflowStore } from './store'
import type { RollbackResult } from './types'

/** What checkpoints and rollback requests need from the service that drives the workflows. */
export interface WorkflowAccess {
  store: WorkflowStore
  checkpointStore: CheckpointStore
  /** Every workflow; those driven here as they are in memory (copies). */
  all: () => Promise<StoredWorkflow[]>
  /** One stored workflow; throws `NotFoundError`. */
  load: (id: string) => Promise<StoredWorkflow>
  /** Ids of the workflows driven here now (pending, running or rolling back). */
  activeIds: () => Iterable<string>
  /** Throws a `conflict` error when one of `ids` is driven here now. */
  refuseIfActive: (ids: Iterable<string>, what: string) => void
  /** Takes over a stored workflow that is not finished and lets it continue. */
  resume: (stored: StoredWorkflow) => Promise<void>
  /** Runs the undos (saga compensation) and records the rollback. */
  undo: (targets: UndoTarget[], scope: { rollbackId: string; workflowId?: string; checkpointId?: string }) => Promise<RollbackResult>
}
