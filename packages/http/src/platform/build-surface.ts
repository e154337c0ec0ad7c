import type { H3 } from 'h3'
import { createSurfaceApp } from './app'
import { withPluginRoutes } from './plugin-routes'
import type { resolvePlatform } from './services'
import type { SurfaceDeps } from './surface-deps'
import type { SurfaceDefinition, SurfaceModule } from './types'

/** Builds a surface's app, with the routes engine plugins contribute to it, and its definition. */
export function buildSurface(module: SurfaceModule<SurfaceDeps>, platform: ReturnType<typeof resolvePlatform>): { app: H3; definition: SurfaceDefinition } {
  const definition = withPluginRoutes(module.create(platform.deps), platform.deps.engine.routes)
  return { app: createSurfaceApp(definition, platform.services), definition }
}

/** Builds a surface's app, with the routes engine plugins contribute to it. */
export function buildSurfaceApp(module: SurfaceModule<SurfaceDeps>, platform: ReturnType<typeof resolvePlatform>): H3 {
  return buildSurface(module, platform).app
}
