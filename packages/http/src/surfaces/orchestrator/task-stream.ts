import type { Engine } from '@provisio/engine'
import { getRouterParams } from 'h3'
import { followJob, followWorkflow, liveEventStream, liveSocketHooks, type JobStreamMessage, type WorkflowStreamMessage } from '../../live'
import { ApiError } from '../../platform/errors'
import type { SurfaceDeps } from '../../platform/surface-deps'
import { defineRoute, type RouteDefinition, type WebSocketRoute } from '../../platform/types'
import * as s from './schemas'
import { batchOperationView, taskStatusOfJob, taskStatusOfWorkflow } from './views'

/** One frame of a task's stream: SSE `event:`/`data:`, or `{type, data}` on a WebSocket. */
export interface TaskFrame {
  type: 'status' | 'output' | 'operation' | 'progress' | 'end'
  data: Record<string, unknown>
}

function jobFrame(message: JobStreamMessage): TaskFrame {
  if (message.type === 'line') return { type: 'output', data: { seq: message.seq, line: message.line } }
  const { job } = message
  return {
    type: message.type === 'end' ? 'end' : 'status',
    data: {
      task_id: job.id,
      status: taskStatusOfJob(job.status),
      progress: job.progress?.percent ?? (job.status === 'completed' ? 100 : 0),
      error: job.error?.message ?? null,
    },
  }
}

function workflowFrame(message: WorkflowStreamMessage): TaskFrame {
  switch (message.type) {
    case 'operation':
      return { type: 'operation', data: batchOperationView(message.operation) }
    case 'progress':
      return {
        type: 'progress',
        data: {
          progress: message.progress,
          completed_steps: message.completedSteps,
          total_steps: message.totalSteps,
          current_step: message.currentStep ?? null,
        },
      }
    default: {
      const workflow = message.type === 'status' ? message.workflow : message.workflow
      return {
        type: message.type === 'end' ? 'end' : 'status',
        data: { task_id: workflow.id, status: taskStatusOfWorkflow(workflow.status), progress: workflow.progress, error: workflow.error?.message ?? null },
      }
    }
  }
}

/** A task's frames, whichever kind of task `id` is: a job's output and status, or a workflow's operations and progress. */
async function* followTask(engine: Engine, id: string, signal: AbortSignal): AsyncGenerator<TaskFrame> {
  if (await engine.jobs.get(id)) {
    for await (const message of followJob(engine, id, { signal })) yield jobFrame(message)
    return
  }
  if (!(await engine.workflows.get(id))) throw new ApiError(404, `No task "${id}"`)
  for await (const message of followWorkflow(engine, id, { signal })) yield workflowFrame(message)
}

/**
 * `GET /tasks/{id}/stream` (SSE) and `WebSocket /ws/tasks/{id}` (extensions): what the task
 * logged so far, then live lines and status changes, then `end` with the final status, then the
 * stream closes. `provisio jobs logs --follow` reads the SSE form.
 */
export function taskStreamRoutes({ engine }: SurfaceDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/tasks/:id/stream',
      summary: 'Server-sent events of a task: output so far, live output and status, then `end` (extension)',
      tags: ['tasks'],
      permission: 'tasks:read',
      resource: 'tasks/:id',
      action: 'read',
      params: s.idParams,
      raw: true,
      handler: ({ event, params }) =>
        liveEventStream(event, (signal) => followTask(engine, params.id, signal), {
          format: (frame) => ({ event: frame.type, data: JSON.stringify(frame.data) }),
        }),
    }),
  ]
}

export function taskSocketRoute({ engine, identity }: SurfaceDeps): WebSocketRoute {
  return {
    path: '/ws/tasks/:id',
    summary: 'A task as WebSocket frames {type, data}: output so far, live output and status, then `end` and a 1000 close (extension)',
    hooks: async (event, principal) => {
      if (!principal || !identity.can(principal, 'jobs:read')) throw new ApiError(403, 'Permission denied: jobs:read is required')
      const id = decodeURIComponent((getRouterParams(event) as { id: string }).id)
      // An unknown task refuses the upgrade (404) rather than opening a socket only to close it.
      if (!(await engine.jobs.get(id)) && !(await engine.workflows.get(id))) throw new ApiError(404, `No task "${id}"`)
      return liveSocketHooks({
        source: (signal) => followTask(engine, id, signal),
        format: (frame) => JSON.stringify(frame),
        keepalive: { intervalMs: 30_000, message: JSON.stringify({ type: 'keepalive', data: {} }) },
      })
    },
  }
}
