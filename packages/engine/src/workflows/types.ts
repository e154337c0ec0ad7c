import type { JobError, Page, RetryPolicy } from '../jobs/types'

export type WorkflowStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'rolling_back' | 'rolled_back'
export type OperationStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'cancelled'
/** When an operation runs once its dependencies have settled. */
export type OperationCondition = 'success' | 'failure' | 'always'

export const finalWorkflowStatuses: ReadonlySet<WorkflowStatus> = new Set(['completed', 'failed', 'cancelled', 'rolled_back'])
export const settledOperationStatuses: ReadonlySet<OperationStatus> = new Set(['completed', 'failed', 'skipped', 'cancelled'])

export interface OperationSpec {
  /** Unique within the workflow. */
  id: string
  provider: string
  action: string
  input?: Record<string, unknown>
  /** Ids of the operations that settle before this one is considered. */
  dependsOn?: string[]
  /** Alias of `dependsOn` (the orchestrator document's name). */
  dependencies?: string[]
  /** `success` (default): every parent completed; `failure`: some parent failed; `always`. */
  when?: OperationCondition
  /** Retries of each job of this operation; none unless asked for. */
  retry?: RetryPolicy
  timeoutMs?: number
  concurrencyKey?: string
  /** A batch: one job per item, each receiving `input.item` beside the operation's input. */
  items?: unknown[]
  /** Alias of `items` (the orchestrator document's server batches). */
  server_configs?: unknown[]
  /** Alias of `items` (the orchestrator document's taskserv batches). */
  taskservs?: unknown[]
  /**
   * How a job receives its item: `item` (default) as `input.item`; `input` merges the item (an
   * object) into the input, so an action's own input fields can differ per item.
   */
  itemsAs?: 'item' | 'input'
  /** Free-form kind such as `server_batch`; kept on the record, not interpreted. */
  type?: string
}

export interface WorkflowSubmission {
  name: string
  version?: string
  /** Running jobs of this workflow at once (a batch's items count one each). Unlimited when omitted. */
  parallelLimit?: number
  /** Undo completed operations when the workflow fails or is cancelled. Default false. */
  rollbackEnabled?: boolean
  labels?: Record<string, string>
  operations: OperationSpec[]
}

/** One job of an operation: the operation itself, or one item of its batch. */
export interface OperationRun {
  status: OperationStatus
  jobId?: string
  finishedAt?: string
  result?: unknown
  error?: JobError
  durationMs?: number
  /** Set once a rollback dealt with this run. */
  undo?: UndoOutcome
}

export interface UndoOutcome {
  status: 'completed' | 'failed' | 'not_reversible'
  jobId?: string
  error?: JobError
  rollbackId: string
  at: string
}

/** An operation as validated: its aliases (`dependencies`, `server_configs`, `taskservs`) resolved. */
export interface NormalizedOperation {
  id: string
  provider: string
  action: string
  input: Record<string, unknown>
  dependsOn: string[]
  when: OperationCondition
  retry?: RetryPolicy
  timeoutMs?: number
  concurrencyKey?: string
  type?: string
  /** Present for a batch operation. */
  items?: unknown[]
  /** How a job receives its item (see `OperationSpec.itemsAs`); `item` when absent. */
  itemsAs?: 'input'
}

/** An operation of a stored workflow: what it is, and where it stands. */
export interface OperationRecord extends NormalizedOperation {
  /** Position in the workflow's topological order. */
  index: number
  status: OperationStatus
  /** One entry per item (a single one without items). */
  runs: OperationRun[]
  /** Percentage: the share of items done for a batch, the job's own progress otherwise. */
  progress: number
  /** Last step reported by a running job. */
  step?: string
  startedAt?: string
  finishedAt?: string
  durationMs?: number
  /** The job's result, or the items' results in item order. */
  result?: unknown
  error?: JobError
  /** Why it was skipped: a dependency that did not end as its condition needs, or a cancel. */
  skipReason?: string
  /** Workflow run (1, then one more per `retry`) that last ran this operation. */
  attempt: number
  /** Set once every completed run of it was rolled back (undone or not reversible). */
  rolledBack?: boolean
}

export interface WorkflowError {
  message: string
  /** The undos that failed, when a rollback could not finish. */
  undoErrors?: { operationId: string; item?: number; error: JobError }[]
}

export interface WorkflowRecord {
  id: string
  name: string
  version?: string
  status: WorkflowStatus
  parallelLimit?: number
  rollbackEnabled: boolean
  labels: Record<string, string>
  createdAt: string
  startedAt?: string
  finishedAt?: string
  durationMs?: number
  /** 1, then one more per `retry`. */
  attempt: number
  cancelRequested: boolean
  progress: number
  error?: WorkflowError
  /** The last rollback this workflow went through. */
  rollback?: RollbackResult
  operations: OperationRecord[]
}

/** A workflow record without its operations (events, lists of many). */
export type WorkflowSummary = Omit<WorkflowRecord, 'operations'>

export interface WorkflowListQuery {
  status?: WorkflowStatus | WorkflowStatus[]
  name?: string
  limit?: number
  offset?: number
  /** By creation time; newest first unless `asc`. */
  order?: 'asc' | 'desc'
}

export interface WorkflowProgress {
  workflowId: string
  status: WorkflowStatus
  /** Percentage, 100 once the workflow is done. */
  progress: number
  /** What runs now: the step a job reported, or the running operation's id. */
  currentStep?: string
  totalSteps: number
  /** Settled operations (completed, failed, skipped or cancelled). */
  completedSteps: number
  /** Seconds, from the measured durations of the same provider and action; null when nothing was measured yet. */
  estimatedTimeRemaining: number | null
}

export interface WorkflowSnapshot {
  snapshot_id: string
  timestamp: string
  state: WorkflowStatus
  details: {
    event: string
    previous: WorkflowStatus | null
    attempt: number
    operations: Record<OperationStatus, number>
    progress: number
    error?: WorkflowError
  }
}

/** One completed run in a checkpoint's ledger. */
export interface LedgerEntry {
  workflowId: string
  operationId: string
  item?: number
  provider: string
  action: string
  input: unknown
  result: unknown
  jobId?: string
  completedAt: string
  /** Topological position within its workflow: orders entries completed in the same millisecond. */
  index: number
}

export interface CheckpointSummary {
  id: string
  name: string
  description?: string
  created_at: string
  /** Bytes of the stored checkpoint. */
  size: number
  operations_count: number
  workflows_count: number
}

export interface Checkpoint extends CheckpointSummary {
  ledger: LedgerEntry[]
}

export type RollbackRequest = { checkpointId: string } | { workflowId?: string; operationIds: string[] }

export interface RollbackResult {
  rollbackId: string
  success: boolean
  /** Undo jobs that completed. */
  operationsExecuted: number
  /** Undo jobs that failed after their retries. */
  operationsFailed: number
  /** `workflowId/operationId` (`#item` for a batch item) of completed runs whose action has no undo. */
  notReversible: string[]
  errors: { workflowId: string; operationId: string; item?: number; error: JobError }[]
  /** Seconds. */
  duration: number
  startedAt: string
  workflowId?: string
  checkpointId?: string
}

export interface EngineStats {
  workflows: {
    total: number
    active: number
    byStatus: Record<WorkflowStatus, number>
    /** Percentage of finished workflows that completed. */
    successRate: number
    averageDurationMs: number
  }
  operations: {
    /** Average job duration per `provider/action`, from finished operations. */
    byAction: Record<string, { count: number; averageDurationMs: number }>
    averageDurationMs: number
  }
  rollbacks: {
    total: number
    succeeded: number
    failed: number
    successRate: number
    averageDurationMs: number
    operationsExecuted: number
    operationsFailed: number
  }
  checkpoints: { total: number }
}

export type WorkflowPage = Page<WorkflowRecord>
