import type { SurfaceDeps } from '../../platform/surface-deps'
import type { RouteDefinition, WebSocketRoute } from '../../platform/types'

export interface CloudlabOptions {
  /** An existing CloudLab Manager's `services/` folder, used as it is. Default `<dataDir>/cloudlab/services`. */
  servicesDir?: string
  /** An existing CloudLab Manager's `inventory_types/` folder. Default `<dataDir>/cloudlab/inventory_types`. */
  inventoryTypesDir?: string
  /** A built CloudLab Manager `frontend/` (vite's `dist`) served at `/` with the index.html fallback. */
  ui?: string
}

/** What every part of the cloudlab surface is built from. */
export interface CloudlabContext {
  deps: SurfaceDeps
  servicesDir: string
  inventoryTypesDir: string
  ui?: string
}

/** One part of the surface (accounts, operations, inventory): its routes, sockets and background work. */
export interface CloudlabPart {
  routes: RouteDefinition[]
  websockets?: WebSocketRoute[]
  dispose?: () => void | Promise<void>
}
