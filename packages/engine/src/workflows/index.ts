export { createWorkflowService } from './service'
export type { WorkflowHost, WorkflowService, WorkflowServiceOptions } from './api'
export { finalWorkflowStatuses, settledOperationStatuses } from './types'
export type {
  Checkpoint,
  CheckpointSummary,
  EngineStats,
  LedgerEntry,
  OperationCondition,
  OperationRecord,
  OperationRun,
  OperationSpec,
  OperationStatus,
  RollbackRequest,
  RollbackResult,
  UndoOutcome,
  WorkflowError,
  WorkflowListQuery,
  WorkflowPage,
  WorkflowProgress,
  WorkflowRecord,
  WorkflowSnapshot,
  WorkflowStatus,
  WorkflowSubmission,
  WorkflowSummary,
} from './types'
