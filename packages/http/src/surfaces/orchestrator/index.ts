import type { H3 } from 'h3'
import { buildSurfaceApp } from '../../platform/build-surface'
import { envelopeStyle } from '../../platform/error-styles'
import { resolvePlatform, type PlatformOptions } from '../../platform/services'
import type { SurfaceDeps } from '../../platform/surface-deps'
import type { SurfaceDefinition, SurfaceModule } from '../../platform/types'
import { batchRoutes } from './batch'
import { eventStreamRoute } from './event-stream'
import { version } from '../../version'
import { healthRoutes } from './health'
import { metricsRoutes } from './metrics'
import { rollbackRoutes } from './rollback'
import { stateRoutes } from './state'
import { taskSocketRoute, taskStreamRoutes } from './task-stream'
import { taskRoutes } from './tasks'
import { submissionRoutes } from './submissions'

/** 004's Orchestrator API: tasks, workflow submissions, batches, state, rollback, metrics and live events. */
export function orchestratorSurface(deps: SurfaceDeps): SurfaceDefinition {
  return {
    name: 'orchestrator',
    title: 'Provisio Orchestrator API',
    version,
    description:
      'Tasks (engine jobs and workflows), workflow submissions, batch operations, state, rollback, Prometheus metrics and a WebSocket event stream. Envelope `{"success": true, "data": ...}`; errors `{"success": false, "error": "..."}`.',
    style: envelopeStyle,
    auth: true,
    policies: true,
    routes: [
      ...healthRoutes(deps),
      ...taskRoutes(deps),
      ...taskStreamRoutes(deps),
      ...submissionRoutes(deps),
      ...batchRoutes(deps),
      ...stateRoutes(deps),
      ...rollbackRoutes(deps),
      ...metricsRoutes(deps),
    ],
    websockets: [eventStreamRoute(deps), taskSocketRoute(deps)],
  }
}

export const orchestratorModule: SurfaceModule<SurfaceDeps> = {
  name: 'orchestrator',
  defaultPort: 9090,
  create: orchestratorSurface,
}

/** The orchestrator surface as an h3 app to mount in your own server (see `controlCenter`). */
export function orchestrator(options: PlatformOptions): H3 {
  return buildSurfaceApp(orchestratorModule, resolvePlatform(options))
}
