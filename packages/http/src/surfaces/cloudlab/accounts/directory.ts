import type { Storage } from 'unstorage'
import type { Identity, Role, User } from '../../../identity'
import { ApiError } from '../../../platform/errors'
import type { CloudlabPermission } from '../context'
import type { Numbering } from './numbering'
import type { Profiles } from './profiles'

export interface RoleRef {
  id: number
  name: string
}

/** U of the reference (§2 Users). */
export interface UserView {
  id: string
  username: string
  email: string | null
  display_name: string
  is_active: boolean
  created_at: string
  last_login_at: string | null
  invite_accepted_at: string | null
  roles: RoleRef[]
}

export interface PermissionView {
  id: number
  codename: string
  category: string
  label: string
  description: string
}

/** R of the reference (§2 Roles). */
export interface RoleView {
  id: number
  name: string
  description: string
  is_system: boolean
  created_at: string | null
  permissions: Omit<PermissionView, 'description'>[]
  user_count: number
}

interface RoleMeta {
  /** The name shown; the identity's role names are lower-case slugs. */
  label?: string
  created_at?: string
}

/** The identity's `admin` is CloudLab's seeded `super-admin` (§4). */
const systemLabels: Record<string, string> = { admin: 'super-admin' }
const systemDescriptions: Record<string, string> = { admin: 'Full system access' }

/**
 * CloudLab's view of the shared identity: users with their profile, roles and permissions with
 * the numeric ids its UI sends back.
 */
export function createDirectory(options: {
  identity: Identity
  storage: Storage
  profiles: Profiles
  roleIds: Numbering
  permissionIds: Numbering
  permissions: () => Promise<CloudlabPermission[]>
}) {
  const { identity, storage, profiles, roleIds, permissionIds } = options
  const metaKey = (name: string) => `cloudlab:roles:${name}`

  const roleMeta = async (name: string) => (await storage.getItem<RoleMeta>(metaKey(name))) ?? {}
  const roleLabel = async (name: string) => systemLabels[name] ?? (await roleMeta(name)).label ?? name

  async function roleRefs(names: readonly string[]): Promise<RoleRef[]> {
    const ids = await roleIds.number(names)
    return Promise.all(names.map(async (name) => ({ id: ids.get(name)!, name: await roleLabel(name) })))
  }

  async function permissionCatalog(): Promise<PermissionView[]> {
    const all = await options.permissions()
    const ids = await permissionIds.number(all.map((permission) => permission.codename))
    return all.map((permission) => ({ id: ids.get(permission.codename)!, ...permission }))
  }

  /** The codenames a set of roles grants, sorted; a wildcard grant lists every permission. */
  async function permissionsOf(roles: readonly string[]): Promise<string[]> {
    await identity.roles.list()
    const all = await options.permissions()
    return all
      .filter((permission) => identity.can({ roles: [...roles] }, permission.codename))
      .map((permission) => permission.codename)
      .sort()
  }

  async function userView(user: User): Promise<UserView> {
    const profile = await profiles.get(user.id)
    return {
      id: user.id,
      username: user.username,
      email: user.email,
      display_name: profile.display_name ?? user.username,
      is_active: user.enabled,
      created_at: user.created_at,
      last_login_at: user.last_login,
      invite_accepted_at: profile.invite_accepted_at,
      roles: await roleRefs(user.roles),
    }
  }

  async function allUsers(): Promise<User[]> {
    const users: User[] = []
    for (let offset = 0; ; offset += 500) {
      const page = await identity.users.list({ limit: 500, offset })
      users.push(...page.items)
      if (page.items.length < 500) return users
    }
  }

  async function roleView(role: Role, catalog: PermissionView[]): Promise<RoleView> {
    const ids = await roleIds.number([role.name])
    const meta = await roleMeta(role.name)
    return {
      id: ids.get(role.name)!,
      name: systemLabels[role.name] ?? meta.label ?? role.name,
      description: systemDescriptions[role.name] ?? role.description,
      is_system: role.builtIn,
      created_at: meta.created_at ?? null,
      permissions: catalog
        .filter((permission) => identity.can({ roles: [role.name] }, permission.codename))
        .map(({ id, codename, category, label }) => ({ id, codename, category, label })),
      user_count: (await identity.users.list({ role: role.name, limit: 1 })).total,
    }
  }

  return {
    userView,
    allUsers,
    permissionsOf,
    permissionCatalog,

    async user(id: string): Promise<User> {
      const user = await identity.users.get(id)
      if (!user) throw new ApiError(404, 'User not found')
      return user
    },

    /** Another user than `except` with this e-mail address, compared lower-cased. */
    async emailTaken(email: string, except?: string): Promise<boolean> {
      const wanted = email.toLowerCase()
      return (await allUsers()).some((user) => user.email === wanted && user.id !== except)
    },

    async roleViews(): Promise<RoleView[]> {
      const roles = await identity.roles.list()
      await roleIds.number(roles.map((role) => role.name))
      const catalog = await permissionCatalog()
      const views = await Promise.all(roles.map((role) => roleView(role, catalog)))
      return views.sort((a, b) => a.id - b.id)
    },

    async roleView(role: Role): Promise<RoleView> {
      return roleView(role, await permissionCatalog())
    },

    /** The identity role with this number; 404 `Role not found`. */
    async role(id: number): Promise<Role> {
      const name = await roleIds.nameOf(id)
      const role = name === undefined ? undefined : await identity.roles.get(name)
      if (!role) throw new ApiError(404, 'Role not found')
      return role
    },

    /** Identity role names for numeric ids; 400 naming the ids that are no role. */
    async roleNames(ids: readonly number[]): Promise<string[]> {
      const roleOf = async (id: number) => {
        const name = await roleIds.nameOf(id)
        return name === undefined ? undefined : identity.roles.get(name)
      }
      const roles = await Promise.all(ids.map(roleOf))
      const unknown = ids.filter((_, index) => !roles[index])
      if (unknown.length > 0) throw new ApiError(400, `Role not found: ${unknown.join(', ')}`)
      return [...new Set(roles.map((role) => role!.name))]
    },

    /** Codenames for numeric permission ids; 400 naming the ids that are no permission. */
    async codenames(ids: readonly number[]): Promise<string[]> {
      const catalog = await permissionCatalog()
      const byId = new Map(catalog.map((permission) => [permission.id, permission.codename]))
      const unknown = ids.filter((id) => !byId.has(id))
      if (unknown.length > 0) throw new ApiError(400, `Permission not found: ${unknown.join(', ')}`)
      return [...new Set(ids.map((id) => byId.get(id)!))]
    },

    /** A role name shown in CloudLab, unique among the roles, case-insensitively. */
    async labelTaken(label: string, except?: string): Promise<boolean> {
      const wanted = label.trim().toLowerCase()
      for (const role of await identity.roles.list()) {
        if (role.name === except) continue
        if (role.name === wanted || (await roleLabel(role.name)).toLowerCase() === wanted) return true
      }
      return false
    },

    saveRoleMeta: async (name: string, meta: RoleMeta) => storage.setItem(metaKey(name), { ...(await roleMeta(name)), ...meta }),
    removeRoleMeta: (name: string) => storage.removeItem(metaKey(name)),
  }
}

export type Directory = ReturnType<typeof createDirectory>
