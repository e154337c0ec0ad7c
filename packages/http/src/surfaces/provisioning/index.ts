import type { H3 } from 'h3'
import { buildSurfaceApp } from '../../platform/build-surface'
import { provisioningStyle } from '../../platform/error-styles'
import { resolvePlatform, type PlatformOptions } from '../../platform/services'
import type { SurfaceDeps } from '../../platform/surface-deps'
import type { SurfaceDefinition, SurfaceModule } from '../../platform/types'
import { version } from '../../version'
import { authRoutes } from './auth'
import { provisioningContext } from './context'
import { operationRoutes } from './operations'
import { serverRoutes } from './servers'
import { systemRoutes } from './system'
import { taskservRoutes } from './taskservs'
import { workflowRoutes } from './workflows'
import { workspaceRoutes } from './workspaces'

/** 002's Provisioning API: servers, taskservs, workflows and operations over the engine and the workspace model. */
export function provisioningSurface(deps: SurfaceDeps): SurfaceDefinition {
  const ctx = provisioningContext(deps)
  return {
    name: 'provisioning',
    title: 'Provisio Provisioning API',
    version,
    description:
      'Servers, taskservs, workflows and operations of workspaces (seed 002). Operations answer `{id, status, created_at, updated_at, result, error}`; errors `{"error": "CODE", "message": "...", "code": "400"}`. Lists take `?page=&per_page=` and answer `Link` and `X-Total-Count` headers.',
    style: provisioningStyle,
    auth: true,
    policies: true,
    routes: [
      ...systemRoutes(ctx),
      ...authRoutes(ctx),
      ...workspaceRoutes(ctx),
      ...serverRoutes(ctx),
      ...taskservRoutes(ctx),
      ...workflowRoutes(ctx),
      ...operationRoutes(ctx),
    ],
    dispose: () => ctx.cancellation.dispose(),
  }
}

export const provisioningModule: SurfaceModule<SurfaceDeps> = {
  name: 'provisioning',
  defaultPort: 8083,
  create: provisioningSurface,
}

/** The provisioning surface as an h3 app to mount in your own server (see `controlCenter`). */
export function provisioning(options: PlatformOptions): H3 {
  return buildSurfaceApp(provisioningModule, resolvePlatform(options))
}
