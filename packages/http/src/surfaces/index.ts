import type { SurfaceDeps } from '../platform/surface-deps'
import type { SurfaceModule } from '../platform/types'
import { cloudlabModule } from './cloudlab'
import { controlCenterModule } from './control-center'
import { orchestratorModule } from './orchestrator'
import { provisioningModule } from './provisioning'
import { tartvmModule } from './tartvm'

/**
 * Every surface the server knows. Adding one is a folder under `surfaces/` exporting a
 * `SurfaceModule` and a line here; the server, CLI flags (`--<name>-port`), config keys and
 * OpenAPI follow.
 */
export const surfaceModules: readonly SurfaceModule<SurfaceDeps>[] = [
  cloudlabModule(),
  controlCenterModule,
  orchestratorModule,
  provisioningModule,
  tartvmModule(),
]

export const surfaceNames: readonly string[] = surfaceModules.map((module) => module.name)

export function findSurfaceModule(name: string): SurfaceModule<SurfaceDeps> | undefined {
  return surfaceModules.find((module) => module.name === name)
}
