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
  /** The vault password set at first-run setup, kept encrypted; ansible jobs get it (accounts/vault.ts). */
  vault: CloudlabVault
  /** CloudLab's numeric role ids over identity's role names (role-ids.ts). */
  roleIds: CloudlabRoleIds
}

/**
 * CloudLab names roles by number (`role_id` in ACL rules, tag permissions, role assignment);
 * identity names them by name. One id per role name, given on first use and kept.
 */
export interface CloudlabRoleIds {
  idOf(roleName: string): Promise<number>
  /** The role name of an id, or undefined for an id never given. */
  nameOf(id: number): Promise<string | undefined>
}

export interface CloudlabVault {
  /** The decrypted vault password, or undefined before setup. */
  password(): Promise<string | undefined>
  store(password: string): Promise<void>
}

/** A permission as `GET /api/roles/permissions` lists it. */
export interface CloudlabPermission {
  codename: string
  category: string
  label: string
  description: string
}

/** One part of the surface (accounts, operations, inventory): its routes, sockets and background work. */
export interface CloudlabPart {
  routes: RouteDefinition[]
  websockets?: WebSocketRoute[]
  dispose?: () => void | Promise<void>
  /** Permissions the part adds at run time (the inventory's `inventory.{type}.{action}`). */
  permissions?: () => Promise<CloudlabPermission[]>
}
