import type { H3 } from 'h3'
import { resolvePlatform, type PlatformOptions } from '../../platform/services'
import { buildSurfaceApp } from '../../platform/build-surface'
import { envelopeStyle } from '../../platform/error-styles'
import type { SurfaceDeps } from '../../platform/surface-deps'
import type { SurfaceDefinition, SurfaceModule } from '../../platform/types'
import { version } from '../../version'
import { controlCenterRoutes } from './routes'

/** 004's Control Center API: authentication, users, roles, policies and the audit log. */
export function controlCenterSurface(deps: SurfaceDeps): SurfaceDefinition {
  return {
    name: 'control-center',
    title: 'Provisio Control Center API',
    version,
    description:
      'Authentication, users, roles, policies and audit logs. Envelope `{"success": true, "data": ...}`; errors `{"success": false, "error": "..."}`.',
    style: envelopeStyle,
    auth: true,
    policies: true,
    routes: controlCenterRoutes(deps),
  }
}

export const controlCenterModule: SurfaceModule<SurfaceDeps> = {
  name: 'control-center',
  defaultPort: 9080,
  create: controlCenterSurface,
}

/**
 * The control-center surface as an h3 app to mount in your own server:
 * `createServer(toNodeHandler(controlCenter({ engine })))`. Identity, policies and the audit log
 * are created over `engine.storage` unless given.
 */
export function controlCenter(options: PlatformOptions): H3 {
  return buildSurfaceApp(controlCenterModule, resolvePlatform(options))
}
