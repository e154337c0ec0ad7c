import type { Engine, EngineEvents, JobRecord } from '@provisio/engine'
import { OutputTail } from './output-tail'
import type { BatchNotificationData, BatchNotificationEvent, Notification, TaskNotificationData, TaskNotificationEvent } from './types'

export interface WatchNotificationsOptions {
  /** Lines of a job's output quoted in `data.output`. Default 20. */
  outputLines?: number
}

const RESULT_SUMMARY_CHARS = 1000

const taskEvents: Partial<Record<JobRecord['status'], TaskNotificationEvent>> = {
  completed: 'task.completed',
  failed: 'task.failed',
  cancelled: 'task.cancelled',
}

type WorkflowStatusEvent = Parameters<EngineEvents['workflow:status']>[0]

const batchEvents: Partial<Record<WorkflowStatusEvent['status'], BatchNotificationEvent>> = {
  completed: 'batch.completed',
  failed: 'batch.failed',
  cancelled: 'batch.cancelled',
  rolled_back: 'batch.rolled_back',
}

/**
 * Calls `notify` with a `task.*` notification when a job ends and a `batch.*`
 * one when a workflow starts or ends. The building block of the webhooks and
 * mail plugins, and of any notifier of your own. Returns a function that stops watching.
 */
export function watchNotifications(engine: Engine, notify: (notification: Notification) => void, options: WatchNotificationsOptions = {}): () => void {
  const tail = new OutputTail(options.outputLines ?? 20)

  // Each node notifies of the jobs and workflows it ran, so the cluster sends each notification once.
  const onOutput: EngineEvents['job:output'] = ({ id, line }) => {
    if (!engine.relaying) tail.push(id, line)
  }
  const onJobStatus: EngineEvents['job:status'] = ({ id, status, job }) => {
    if (engine.relaying) return
    const event = taskEvents[status]
    if (!event) return
    notify({ event, timestamp: new Date().toISOString(), data: taskData(job, tail.take(id)) } as Notification)
  }
  const onWorkflowStatus: EngineEvents['workflow:status'] = (change) => {
    if (engine.relaying) return
    // A workflow that runs again after a retry starts again too.
    const event = change.status === 'running' && change.previous !== 'running' ? 'batch.started' : batchEvents[change.status]
    if (!event) return
    notify({ event, timestamp: new Date().toISOString(), data: batchData(change) } as Notification)
  }

  engine.on('job:output', onOutput)
  engine.on('job:status', onJobStatus)
  engine.on('workflow:status', onWorkflowStatus)
  return () => {
    engine.off('job:output', onOutput)
    engine.off('job:status', onJobStatus)
    engine.off('workflow:status', onWorkflowStatus)
    tail.clear()
  }
}

function taskData(job: JobRecord, lines: string[]): TaskNotificationData {
  return {
    task_id: job.id,
    status: job.status as TaskNotificationData['status'],
    output: lines.length > 0 ? lines.join('\n') : resultSummary(job.result),
    error: job.error?.message ?? null,
    error_code: job.error?.code ?? null,
    provider: job.provider,
    action: job.action,
    attempt: job.attempt,
    duration_ms: job.durationMs ?? null,
    labels: job.labels,
  }
}

function resultSummary(result: unknown): string | null {
  if (result === undefined || result === null) return null
  const json = JSON.stringify(result) ?? String(result)
  return json.length > RESULT_SUMMARY_CHARS ? `${json.slice(0, RESULT_SUMMARY_CHARS)}…` : json
}

function batchData({ id, status, previous, workflow }: WorkflowStatusEvent): BatchNotificationData {
  return {
    batch_id: id,
    name: workflow.name,
    version: workflow.version ?? null,
    status,
    previous,
    progress: workflow.progress,
    error: workflow.error?.message ?? null,
    duration_ms: workflow.durationMs ?? null,
    labels: workflow.labels,
  }
}
