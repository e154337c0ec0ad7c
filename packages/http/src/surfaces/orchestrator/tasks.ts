import { z } from 'zod'
import { found } from '../../platform/errors'
import { pageAnswer } from '../../middleware/pagination'
import type { SurfaceDeps } from '../../platform/surface-deps'
import { defineRoute, type RouteDefinition } from '../../platform/types'
import * as s from './schemas'
import { getTask, listTasks } from './tasks-source'

/** `GET /tasks`, `GET /tasks/{id}`, and the extensions `POST /tasks` (one job) and `POST /tasks/{id}/cancel`. */
export function taskRoutes({ engine }: SurfaceDeps): RouteDefinition[] {
  const taskOrThrow = (id: string) => found(getTask(engine, id), `task "${id}"`)
  return [
    defineRoute({
      method: 'GET',
      path: '/tasks',
      summary: 'List tasks (engine jobs and workflows), newest first',
      tags: ['tasks'],
      permission: 'tasks:read',
      resource: 'tasks',
      action: 'read',
      query: s.taskListQuery,
      response: s.taskView.array(),
      handler: async (ctx) => pageAnswer(await listTasks(engine, ctx.query), ctx.query, ctx, (task) => task),
    }),
    defineRoute({
      method: 'POST',
      path: '/tasks',
      summary: "Submit one job of a provider's action (extension); answers the task id like 004's submissions",
      tags: ['tasks'],
      permission: 'workflows:create',
      resource: 'tasks',
      action: 'create',
      status: 201,
      body: s.taskSubmission,
      response: z.string(),
      handler: async ({ body }) => {
        const job = await engine.jobs.submit({
          provider: body.provider,
          action: body.action,
          input: body.input,
          ...(body.timeout_ms ? { timeoutMs: body.timeout_ms } : {}),
          ...(body.retry ? { retry: body.retry } : {}),
          ...(body.concurrency_key ? { concurrencyKey: body.concurrency_key } : {}),
          ...(body.labels ? { labels: body.labels } : {}),
        })
        return job.id
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/tasks/:id',
      summary: 'A task, with its whole output so far',
      tags: ['tasks'],
      permission: 'tasks:read',
      resource: 'tasks/:id',
      action: 'read',
      params: s.idParams,
      response: s.taskView,
      handler: ({ params }) => taskOrThrow(params.id),
    }),
    defineRoute({
      method: 'POST',
      path: '/tasks/:id/cancel',
      summary: 'Cancel a pending or running task (extension)',
      tags: ['tasks'],
      permission: 'jobs:cancel',
      resource: 'tasks/:id',
      action: 'cancel',
      params: s.idParams,
      response: s.taskView,
      handler: async ({ params }) => {
        const task = await taskOrThrow(params.id)
        if (task.kind === 'job') await engine.jobs.cancel(task.id)
        else await engine.workflows.cancel(task.id)
        return taskOrThrow(params.id)
      },
    }),
  ]
}
