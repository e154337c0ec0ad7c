import type { Engine, JobRecord } from '@provisio/engine'
import { batched, followJob, liveSocketHooks } from '../../live'
import { ApiError } from '../../platform/errors'
import type { WebSocketRoute } from '../../platform/types'
import type { TaskModel } from './models'
import type { TaskService } from './tasks'
import { tokenMatches } from './token'

export interface TaskSocketOptions {
  engine: Engine
  tasks: TaskService
  token: () => string
  /** The keepalive interval: an empty text frame. Default 30 000 ms. */
  keepaliveMs: number
}

/**
 * The task as it is now, then the whole task again after every change (its status, a burst of
 * new log lines), ending with the final task. Built on `followJob`, continuing from the last
 * line the first answer holds, so no line is missed or repeated.
 */
async function* taskUpdates(options: TaskSocketOptions, job: JobRecord, signal: AbortSignal): AsyncGenerator<TaskModel> {
  const view = await options.tasks.view(job)
  yield view.toJSON()
  if (view.finished) return
  for await (const batch of batched(followJob(options.engine, job.id, { signal, from: view.nextLine }))) {
    let changed = false
    for (const message of batch) changed = view.apply(message) || changed
    if (changed) yield view.toJSON()
  }
}

/**
 * The real server closes with 1008 before `accept()`, which its ASGI server answers as an HTTP 403
 * refusing the handshake: the same here, with the reason in the `{"detail"}` shape.
 */
const refused = (reason: string) => new ApiError(403, reason)

/** `/ws/tasks/{id}?token=`: task updates; a missing or wrong token, or an unknown task, refuses the handshake with 403. */
export function taskSocket(options: TaskSocketOptions): WebSocketRoute {
  return {
    path: '/ws/tasks/:id',
    summary: "A task's updates: its JSON now, again on every change, the final JSON, then close 1000 (token in ?token=)",
    auth: false,
    credential: true,
    rateLimit: false,
    async hooks(event) {
      if (!tokenMatches(options.token(), event.url.searchParams.get('token'))) throw refused('Invalid or missing token')
      const id = decodeURIComponent(event.context.params?.id ?? '')
      const job = await options.tasks.job(id).catch(() => undefined)
      if (!job) throw refused('Task not found')
      return liveSocketHooks<TaskModel>({
        source: (signal) => taskUpdates(options, job, signal),
        format: (task) => JSON.stringify(task),
        keepalive: { intervalMs: options.keepaliveMs, message: '' },
        close: { code: 1000 },
      })
    },
  }
}
