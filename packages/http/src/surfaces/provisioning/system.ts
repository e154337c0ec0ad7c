import { z } from 'zod'
import { defineRoute, type RouteDefinition } from '../../platform/types'
import { version } from '../../version'
import type { ProvisioningContext } from './context'
import { operationStatus } from './views'

const uptime = (startedAt: number) => Math.round((Date.now() - startedAt) / 1000)

/** `GET /health` (no token) and `GET /v1/metrics`: the engine's real job and operation counts. */
export function systemRoutes({ engine, startedAt, operations }: ProvisioningContext): RouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/health',
      summary: 'Health check',
      tags: ['system'],
      auth: false,
      rateLimit: false,
      response: z.object({ status: z.literal('healthy'), version: z.string(), uptime_seconds: z.number() }),
      handler: () => ({ status: 'healthy' as const, version, uptime_seconds: uptime(startedAt) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/metrics',
      summary: 'Uptime, engine tasks (jobs) and this surface’s operations',
      tags: ['system'],
      permission: 'system_metrics',
      handler: async () => {
        const [total, running, all] = await Promise.all([engine.jobs.list({ limit: 1 }), engine.jobs.list({ status: 'running', limit: 1 }), operations.all()])
        const byStatus = { pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0 }
        for (const workflow of all) byStatus[operationStatus(workflow)]++
        return { uptime_seconds: uptime(startedAt), tasks: { total: total.total, running: running.total }, operations: { total: all.length, ...byStatus } }
      },
    }),
  ]
}
