import type { Engine } from '@provisio/engine'
import { z } from 'zod'
import { followJob, liveEventStream, liveSocketHooks } from '../../../live'
import { ApiError } from '../../../platform/errors'
import { defineRoute, type RouteDefinition, type WebSocketRoute } from '../../../platform/types'
import { cloudlabStatus, type CloudlabJobs } from './jobs'

const tags = ['jobs']
const jobParams = z.object({ id: z.string().min(1).max(64) })
const listQuery = z.object({
  service: z.string().min(1).optional(),
  user_id: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
})

/** What a job stream sends: its output so far, then live lines, then the final status. */
type Streamed = { kind: 'line'; line: string } | { kind: 'status'; status: string } | { kind: 'done'; status: string } | { kind: 'missing' }

async function* jobStream(engine: Engine, jobId: string, signal: AbortSignal): AsyncGenerator<Streamed> {
  let first = true
  for await (const message of followJob(engine, jobId, { signal })) {
    if (message.type === 'line') yield { kind: 'line', line: message.line }
    else if (message.type === 'end') yield { kind: 'done', status: cloudlabStatus(message.job.status) }
    else if (first) yield { kind: 'status', status: cloudlabStatus(message.job.status) }
    first = false
  }
}

/**
 * Jobs: list (newest first, `jobs.view_own` / `jobs.view_all` scoping), detail with the whole
 * output, cancel, and live output as SSE (seed 000) and over a WebSocket (seed 001).
 */
export function jobRoutes(engine: Engine, jobs: CloudlabJobs): { routes: RouteDefinition[]; websockets: WebSocketRoute[] } {
  const routes = [
    defineRoute({
      method: 'GET',
      path: '/api/jobs',
      summary: 'Jobs, newest first, filtered by service and user; view_own sees only its own, no job permission sees none',
      tags,
      query: listQuery,
      handler: async ({ principal, query }) => ({ jobs: await jobs.list(principal!, query) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/jobs/:id',
      summary: 'A job with its whole output',
      tags,
      params: jobParams,
      handler: async ({ principal, params }) => jobs.view(await jobs.visible(principal!, params.id)),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/jobs/:id',
      summary: 'Cancels a running job; it ends failed',
      tags,
      permission: 'jobs.cancel',
      audit: 'job.cancel',
      resource: 'jobs/:id',
      params: jobParams,
      handler: async ({ params }) => {
        const job = await jobs.find(params.id)
        if (cloudlabStatus(job.status) !== 'running') throw new ApiError(400, 'Job is not running')
        return jobs.view(await jobs.cancel(job))
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/jobs/:id/stream',
      summary: 'SSE: `data: <line>` for the output so far and each new line, then `event: done` with the status',
      tags,
      params: jobParams,
      raw: true,
      handler: async ({ event, principal, params }) => {
        // As the real backend: refusals are HTTP errors, an unknown job an `error` event in the stream.
        const job = await jobs.visible(principal!, params.id).catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 404) return undefined
          throw error
        })
        return liveEventStream<Streamed>(event, (signal) => (job ? jobStream(engine, job.id, signal) : missing()), {
          format: (message) => {
            if (message.kind === 'line') return { data: message.line }
            if (message.kind === 'done') return { event: 'done', data: message.status }
            if (message.kind === 'missing') return { event: 'error', data: 'Job not found' }
            return undefined
          },
        })
      },
    }),
  ]

  const socket: WebSocketRoute = {
    path: '/api/jobs/ws/:id',
    summary:
      'Live job output (token in ?token= or the Authorization header): {"type":"status"}, a {"type":"output","data"} per line so far and each new one, then {"type":"done","status"} and close 1000',
    async hooks(event, principal) {
      const id = decodeURIComponent(event.context.params?.id ?? '')
      const job = await jobs.visible(principal!, id).catch((error: unknown) => error as ApiError)
      if (job instanceof Error) {
        const message = job instanceof ApiError ? job.message : 'Job not found'
        return {
          open: (peer) => {
            peer.send(JSON.stringify({ type: 'error', message }))
            peer.close(1008, message)
          },
        }
      }
      return liveSocketHooks<Streamed>({
        source: (signal) => jobStream(engine, job.id, signal),
        format: (message) => {
          if (message.kind === 'line') return JSON.stringify({ type: 'output', data: message.line })
          if (message.kind === 'status' || message.kind === 'done') return JSON.stringify({ type: message.kind, status: message.status })
          return undefined
        },
        keepalive: { intervalMs: 30_000, message: JSON.stringify({ type: 'ping' }) },
        close: { code: 1000 },
        onError: (error) => ({ code: 1011, message: JSON.stringify({ type: 'error', message: error instanceof Error ? error.message : String(error) }) }),
      })
    },
  }

  return { routes, websockets: [socket] }
}

async function* missing(): AsyncGenerator<Streamed> {
  yield { kind: 'missing' }
}
