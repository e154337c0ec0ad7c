import { ApiError } from '../../platform/errors'
import { pageAnswer } from '../../middleware/pagination'
import type { SurfaceDeps } from '../../platform/surface-deps'
import { defineRoute, type RouteDefinition } from '../../platform/types'
import * as s from './schemas'
import { getTask, listTasks } from './tasks-source'

/** `GET /tasks`, `GET /tasks/{id}` and the `POST /tasks/{id}/cancel` extension. */
export function taskRoutes({ engine }: SurfaceDeps): RouteDefinition[] {
  const taskOrThrow = async (id: string) => {
    const task = await getTask(engine, id)
    if (!task) throw new ApiError(404, `No task "${id}"`)
    return task
  }
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
