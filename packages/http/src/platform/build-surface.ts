import type { H3 } from 'h3'
import { createSurfaceApp } from '../app'
import { withPluginRoutes } from './plugin-routes'
import type { resolvePlatform } from './services'
import type { SurfaceDeps } from './surface-deps'
import type { SurfaceModule } from './types'

/** Builds a surface's app, with the routes engine plugins contribute to it. */
export function buildSurfaceApp(module: SurfaceModule<SurfaceDeps>, platform: ReturnType<typeof resolvePlatform>): H3 {
  const definition = withPluginRoutes(module.create(platform.deps), platform.deps.engine.routes)
  return createSurfaceApp(definition, platform.services)
}
