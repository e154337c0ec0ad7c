import type { Storage } from 'unstorage'
import { IdentityError } from './errors'
import { identityKeys } from './keys'
import { builtInRoles, expandGrants, isPermissionPattern, normalizeRoleName, permissions, toCanonicalPermission } from './permissions'
import { createStampedCopy } from './stamped-copy'
import { hasUnsafeCharacters } from './text'
import type { Role } from './types'

interface StoredRole {
  name: string
  description: string
  permissions: string[]
  created_at: string
  updated_at: string
}

export interface RoleStore {
  list(): Promise<Role[]>
  get(name: string): Promise<Role | undefined>
  create(input: { name: string; description?: string; permissions: string[] }): Promise<Role>
  update(name: string, patch: { description?: string; permissions?: string[] }): Promise<Role>
  delete(name: string): Promise<void>
  /** Normalises role names and throws IdentityError('invalid') naming the first that does not exist. */
  resolveNames(names: unknown): Promise<string[]>
  /** Loads custom roles into memory again when another node changed them, checked at most once per cache lifetime. */
  refresh(): Promise<void>
  /** The permissions a set of roles grants, from memory (see `refresh`). */
  grantsOf(roles: readonly string[]): ReadonlySet<string>
}

const builtIn = new Map(builtInRoles.map((role) => [role.name as string, role]))
const roleNamePattern = /^[a-z][a-z0-9_.-]{1,49}$/
const canonicalNames: ReadonlySet<string> = new Set(permissions.canonical)
const inventoryPermission = /^inventory:[a-z0-9_-]+\.[a-z0-9_]+$/

function toRole(role: StoredRole | (typeof builtInRoles)[number]): Role {
  return { name: role.name, description: role.description, permissions: [...role.permissions], builtIn: builtIn.has(role.name) }
}

function normalizePermissions(input: unknown): string[] {
  if (!Array.isArray(input)) throw new IdentityError('invalid', 'permissions must be a list of permission names')
  const result = new Set<string>()
  for (const name of input) {
    const canonical = typeof name === 'string' ? toCanonicalPermission(name.trim()) : ''
    const known = canonicalNames.has(canonical) || inventoryPermission.test(canonical) || (canonical.includes('*') && isPermissionPattern(canonical))
    if (!known) throw new IdentityError('invalid', `Unknown permission "${String(name)}"`)
    result.add(canonical)
  }
  return [...result]
}

function checkDescription(description: unknown): string {
  if (description === undefined || description === null) return ''
  if (typeof description !== 'string' || description.length > 500) {
    throw new IdentityError('invalid', 'description must be a string of at most 500 characters')
  }
  if (hasUnsafeCharacters(description)) throw new IdentityError('invalid', 'description must not contain control characters or bidirectional controls')
  return description
}

export function createRoleStore(options: { storage: Storage; cacheTtlMs: number; now: () => number }): RoleStore {
  const { storage, cacheTtlMs, now } = options

  // Roles written on another node are seen within the cache lifetime; this node's at once (`remember`).
  // Each loaded copy has its own grants cache, so that no grant computed from an older copy outlives it.
  const custom = createStampedCopy({
    storage,
    stampKey: identityKeys.roleChanges,
    initial: { roles: new Map<string, StoredRole>(), grants: new Map<string, ReadonlySet<string>>() },
    load: async () => {
      const keys = await storage.getKeys(identityKeys.roles)
      const records = await Promise.all(keys.map((key) => storage.getItem<StoredRole>(key)))
      const roles = new Map(records.filter((role): role is StoredRole => !!role).map((role) => [role.name, role]))
      return { roles, grants: new Map<string, ReadonlySet<string>>() }
    },
    cacheTtlMs,
    now,
  })

  async function stored(name: string) {
    return storage.getItem<StoredRole>(identityKeys.role(name))
  }

  async function remember(role: StoredRole | undefined, name: string) {
    await custom.markChanged()
    const { roles, grants } = custom.value
    if (role) roles.set(name, role)
    else roles.delete(name)
    grants.clear()
  }

  return {
    refresh: () => custom.refresh(),

    async list() {
      const customRoles = [...(await custom.reload()).roles.values()].sort((a, b) => a.name.localeCompare(b.name))
      return [...builtInRoles.map(toRole), ...customRoles.map(toRole)]
    },

    async get(name) {
      const normalized = normalizeRoleName(String(name))
      const role = builtIn.get(normalized) ?? (await stored(normalized))
      return role ? toRole(role) : undefined
    },

    async create(input) {
      const name = normalizeRoleName(String(input?.name ?? ''))
      if (!roleNamePattern.test(name)) {
        throw new IdentityError('invalid', 'Role name must be 2-50 characters: letters, digits, "_", "-" or ".", starting with a letter')
      }
      const description = checkDescription(input.description)
      const granted = normalizePermissions(input.permissions)
      if (builtIn.has(name) || (await stored(name))) throw new IdentityError('conflict', 'Role name already exists')
      const time = new Date(now()).toISOString()
      const role: StoredRole = { name, description, permissions: granted, created_at: time, updated_at: time }
      await storage.setItem(identityKeys.role(name), role)
      await remember(role, name)
      return toRole(role)
    },

    async update(name, patch) {
      const normalized = normalizeRoleName(String(name))
      if (builtIn.has(normalized)) throw new IdentityError('invalid', 'Cannot modify built-in roles', 400)
      const current = await stored(normalized)
      if (!current) throw new IdentityError('not_found', 'Role not found')
      const role: StoredRole = {
        ...current,
        description: patch.description === undefined ? current.description : checkDescription(patch.description),
        permissions: patch.permissions === undefined ? current.permissions : normalizePermissions(patch.permissions),
        updated_at: new Date(now()).toISOString(),
      }
      await storage.setItem(identityKeys.role(normalized), role)
      await remember(role, normalized)
      return toRole(role)
    },

    async delete(name) {
      const normalized = normalizeRoleName(String(name))
      if (builtIn.has(normalized)) throw new IdentityError('invalid', 'Cannot delete built-in roles', 400)
      if (!(await stored(normalized))) throw new IdentityError('not_found', 'Role not found')
      const members = await storage.getKeys(identityKeys.roleMembers(normalized))
      if (members.length > 0) throw new IdentityError('conflict', 'Cannot delete role with assigned users')
      await storage.removeItem(identityKeys.role(normalized))
      await remember(undefined, normalized)
    },

    async resolveNames(names) {
      if (!Array.isArray(names)) throw new IdentityError('invalid', 'roles must be a list of role names')
      const result = new Set<string>()
      for (const name of names) {
        const normalized = typeof name === 'string' ? normalizeRoleName(name) : ''
        const exists = builtIn.has(normalized) || (roleNamePattern.test(normalized) && !!(await stored(normalized)))
        if (!exists) throw new IdentityError('invalid', `Unknown role "${String(name)}"`)
        result.add(normalized)
      }
      return [...result]
    },

    grantsOf(roles) {
      const names = roles.map(normalizeRoleName)
      const cacheKey = names.sort().join(',')
      const copy = custom.value
      let grants = copy.grants.get(cacheKey)
      if (!grants) {
        grants = expandGrants(names.flatMap((name) => (builtIn.get(name) ?? copy.roles.get(name))?.permissions ?? []))
        copy.grants.set(cacheKey, grants)
      }
      return grants
    },
  }
}
