import type { JobRecord, OperationRecord, OperationStatus, WorkflowRecord, WorkflowStatus, WorkflowSummary } from '@provisio/engine'

/**
 * What `followJob` yields, in this order: the job as it is now (`job`), every output line from
 * line 0 exactly once (`line`), status changes as they happen (`job` again), and last the final
 * record (`end`), after which the stream is done.
 */
export type JobStreamMessage = { type: 'job'; job: JobRecord } | { type: 'line'; seq: number; line: string } | { type: 'end'; job: JobRecord }

/**
 * What `followWorkflow` yields: the workflow as it is now (`workflow`), then its status changes,
 * operation changes and progress as they happen, and last the final record (`end`).
 */
export type WorkflowStreamMessage =
  | { type: 'workflow'; workflow: WorkflowRecord }
  | { type: 'status'; status: WorkflowStatus; previous: WorkflowStatus | null; workflow: WorkflowSummary }
  /** `operation` is a copy of the operation's record at that moment. */
  | { type: 'operation'; operationId: string; status: OperationStatus; previous: OperationStatus; operation: OperationRecord }
  | { type: 'progress'; progress: number; completedSteps: number; totalSteps: number; currentStep?: string }
  | { type: 'end'; workflow: WorkflowRecord }

export interface FollowOptions {
  /** Stops following: the stream ends without an `end` message. */
  signal?: AbortSignal
}

export interface FollowJobOptions extends FollowOptions {
  /** First output line to give, counted from 0 (a client that already has the lines before it). Default 0. */
  from?: number
}
