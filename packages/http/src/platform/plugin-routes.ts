import type { PluginRoute } from '@provisio/engine'
import { defineRoute, type SurfaceDefinition } from './types'

/** h3 paths use `:name`; plugins may write OpenAPI-style `{name}`. */
function toH3Path(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1')
}

/**
 * Adds the routes engine plugins contribute to the surfaces they name (every surface when they
 * name none). They pass through the same authentication, rate limits and audit as the surface's
 * own routes; their answers are sent as the plugin wrote them.
 */
export function withPluginRoutes(surface: SurfaceDefinition, pluginRoutes: readonly PluginRoute[]): SurfaceDefinition {
  const mine = pluginRoutes.filter((route) => !route.surfaces || route.surfaces.includes(surface.name))
  if (mine.length === 0) return surface
  return {
    ...surface,
    routes: [
      ...surface.routes,
      ...mine.map((route) =>
        defineRoute({
          method: route.method,
          path: toH3Path(route.path),
          summary: `Plugin route ${route.method} ${route.path}`,
          tags: ['plugins'],
          raw: true,
          handler: ({ event }) => route.handler(event.req),
        }),
      ),
    ],
  }
}
