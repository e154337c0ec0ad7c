import type { Numbering } from './accounts/numbering'
import type { SurfaceDeps } from '../../platform/surface-deps'
import type { RouteDefinition, WebSocketRoute } from '../../platform/types'
import type { CloudlabMailOptions } from './accounts/mailer'

export interface CloudlabOptions {
  /** An existing CloudLab Manager's `services/` folder, used as it is. Default `<dataDir>/cloudlab/services`. */
  servicesDir?: string
  /** An existing CloudLab Manager's `inventory_types/` folder. Default `<dataDir>/cloudlab/inventory_types`. */
  inventoryTypesDir?: string
  /** A built CloudLab Manager `frontend/` (vite's `dist`) served at `/` with the index.html fallback. */
  ui?: string
  /** SMTP server and sender of the invite and password-reset mails; without it no mail is sent (the invite answer still carries its token). */
  mail?: CloudlabMailOptions
  /** The address users reach the UI at, for links in mails; default the origin each request came to. */
  publicUrl?: string
}

/** What every part of the cloudlab surface is built from. */
export interface CloudlabContext {
  deps: SurfaceDeps
  servicesDir: string
  inventoryTypesDir: string
  ui?: string
  /** The vault password set at first-run setup, kept encrypted; ansible jobs get it (accounts/vault.ts). */
  vault: CloudlabVault
  mail?: CloudlabMailOptions
  publicUrl?: string
  /** Every permission: the static ones, then what the parts add at run time (`inventory.{type}.{action}`). */
  permissions: () => Promise<CloudlabPermission[]>
  /** Every user with CloudLab's profile fields (the inventory's `user_sync`, who started a job). */
  users: () => Promise<CloudlabUser[]>
  /** CloudLab's numeric role ids over identity's role names (role-ids.ts). */
  roleIds: CloudlabRoleIds
}

/** A user as CloudLab shows one: the shared identity's record with CloudLab's profile. */
export interface CloudlabUser {
  id: string
  username: string
  email: string | null
  display_name: string
  ssh_public_key: string | null
  /** Role names as CloudLab shows them (`super-admin`). */
  roles: string[]
  is_active: boolean
  /** `invited` until the invite is accepted, then `active`, or `inactive` once deactivated. */
  status: 'active' | 'invited' | 'inactive'
}

/**
 * CloudLab names roles by number (`role_id` in ACL rules, tag permissions, role assignment);
 * identity names them by name. One id per role name, given on first use and kept.
 */
export interface CloudlabRoleIds extends Numbering {
  idOf(roleName: string): Promise<number>
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
