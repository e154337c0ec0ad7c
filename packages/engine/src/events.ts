import type { EventEmitter } from 'node:events'
import type { JobRecord, JobStatus } from './jobs/types'
import type { CheckpointSummary, OperationRecord, OperationStatus, RollbackResult, WorkflowStatus, WorkflowSummary } from './workflows/types'

/** Every event the engine emits, with its payload. */
export type EngineEvents = {
  'job:created': (event: { id: string; job: JobRecord }) => void
  'job:status': (event: { id: string; status: JobStatus; previous: JobStatus | null; job: JobRecord }) => void
  'job:output': (event: { id: string; seq: number; line: string }) => void
  'job:progress': (event: { id: string; percent: number; step?: string }) => void
  /** A provider's own event, raised with `ctx.emit`. */
  'job:event': (event: { id: string; type: string; data: unknown }) => void
  'engine:error': (event: { error: Error; context: string }) => void
  /** A workflow changed status; emitted once the transition is persisted. */
  'workflow:status': (event: { id: string; status: WorkflowStatus; previous: WorkflowStatus | null; workflow: WorkflowSummary }) => void
  /** An operation of workflow `id` changed status (`operation` is the live record: copy it to keep it). */
  'workflow:operation': (event: { id: string; operationId: string; status: OperationStatus; previous: OperationStatus; operation: OperationRecord }) => void
  'workflow:progress': (event: { id: string; progress: number; completedSteps: number; totalSteps: number; currentStep?: string }) => void
  'rollback:completed': (event: { rollback: RollbackResult }) => void
  'checkpoint:created': (event: { checkpoint: CheckpointSummary }) => void
  /** Workflow records were put back as they were at a checkpoint. */
  'checkpoint:restored': (event: { checkpointId: string; restored: number; removed: number }) => void
}

export type EngineEventName = keyof EngineEvents

/** `EngineEvents` as Node's `EventEmitter<T>` wants it: each event's arguments as a tuple. */
export type EngineEventMap = { [K in EngineEventName]: Parameters<EngineEvents[K]> }

/** Node's own typed `EventEmitter`: `on`, `once`, `off` and `emit` know each event's payload. */
export type EngineEmitter = EventEmitter<EngineEventMap>
