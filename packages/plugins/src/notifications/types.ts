import type { EngineEvents } from '@provisio/engine'

/** What a job's final status is announced as. */
export type TaskNotificationEvent = 'task.completed' | 'task.failed' | 'task.cancelled'

/** What a workflow (a batch, in the orchestrator's words) changing status is announced as. */
export type BatchNotificationEvent = 'batch.started' | 'batch.completed' | 'batch.failed' | 'batch.cancelled' | 'batch.rolled_back'

export type NotificationEvent = TaskNotificationEvent | BatchNotificationEvent

/** `data` of a `task.*` notification. */
export interface TaskNotificationData {
  task_id: string
  status: 'completed' | 'failed' | 'cancelled'
  /** The last lines the job logged (joined by `\n`); without any, its result as JSON (cut to 1,000 characters); else null. */
  output: string | null
  /** The error message of a failed or cancelled job, null otherwise. */
  error: string | null
  /** `timeout`, `cancelled`, `interrupted` or the action's own error code. */
  error_code: string | null
  provider: string
  action: string
  attempt: number
  duration_ms: number | null
  labels: Record<string, string>
}

type WorkflowStatusEvent = Parameters<EngineEvents['workflow:status']>[0]

/** `data` of a `batch.*` notification. */
export interface BatchNotificationData {
  batch_id: string
  name: string
  version: string | null
  status: WorkflowStatusEvent['status']
  previous: WorkflowStatusEvent['previous']
  /** Percentage of the workflow's operations that settled. */
  progress: number
  error: string | null
  duration_ms: number | null
  labels: Record<string, string>
}

export type Notification =
  | { event: TaskNotificationEvent; timestamp: string; data: TaskNotificationData }
  | { event: BatchNotificationEvent; timestamp: string; data: BatchNotificationData }

export const notificationEvents: readonly NotificationEvent[] = [
  'task.completed',
  'task.failed',
  'task.cancelled',
  'batch.started',
  'batch.completed',
  'batch.failed',
  'batch.cancelled',
  'batch.rolled_back',
]

export type TaskNotification = Extract<Notification, { event: TaskNotificationEvent }>
export type BatchNotification = Extract<Notification, { event: BatchNotificationEvent }>

export function isTaskNotification(notification: Notification): notification is TaskNotification {
  return notification.event.startsWith('task.')
}
