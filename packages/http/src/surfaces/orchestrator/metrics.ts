import { z } from 'zod'
import type { SurfaceDeps } from '../../platform/surface-deps'
import { defineRoute, type RouteDefinition } from '../../platform/types'

/**
 * `GET /metrics`: Prometheus text of the engine (004's `orchestrator_tasks_total{status}`,
 * `orchestrator_task_duration_seconds`, workflows, rollbacks, running and queued tasks) and of
 * every surface's requests. Needs a Bearer token like every route; Prometheus sends one with
 * `authorization: { credentials_file: ... }` in its scrape config.
 */
export function metricsRoutes({ metrics }: SurfaceDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/metrics',
      summary: 'Prometheus metrics (text exposition format)',
      tags: ['monitoring'],
      permission: 'metrics:read',
      resource: 'metrics',
      action: 'read',
      raw: true,
      response: z.string(),
      handler: async () => new Response(await metrics.metrics(), { headers: { 'content-type': metrics.contentType } }),
    }),
  ]
}
