import { z } from 'zod'
import type { SurfaceDeps } from '../../platform/surface-deps'
import { defineRoute, type RouteDefinition } from '../../platform/types'

/** `GET /health`: 004's plain answer, the only route without a token. */
export function healthRoutes(_deps: SurfaceDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/health',
      summary: 'Orchestrator health',
      tags: ['health'],
      auth: false,
      rateLimit: false,
      response: z.string(),
      handler: () => 'Orchestrator is healthy',
    }),
  ]
}
