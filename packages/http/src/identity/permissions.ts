import { matchWildcard } from './wildcard'

export type Surface = 'cloudlab' | 'provisioning' | 'tartvm' | 'orchestrator' | 'control-center'

/**
 * The canonical permissions, `<resource>:<action>`. Every surface's own names map to these,
 * so one role grants the same rights on every surface. Inventory types add dynamic
 * `inventory:<type>.<action>` permissions at run time; `role:<name>` says that a holder
 * counts as that built-in role where a surface checks roles rather than permissions.
 */
const canonical = [
  'users:read',
  'users:create',
  'users:update',
  'users:delete',
  'users:assign_roles',
  'users:reset_password',
  'users:reset_mfa',
  'users:disable',
  'roles:read',
  'roles:create',
  'roles:update',
  'roles:delete',
  'policies:read',
  'policies:create',
  'policies:update',
  'policies:delete',
  'audit:read',
  'settings:read',
  'settings:update',
  'system:metrics',
  'system:stop_all',
  'servers:read',
  'servers:create',
  'servers:delete',
  'servers:stop',
  'servers:refresh',
  'servers:ssh',
  'services:read',
  'services:deploy',
  'services:stop',
  'services:config_read',
  'services:config_update',
  'services:files_read',
  'services:files_update',
  'jobs:read_own',
  'jobs:read',
  'jobs:cancel',
  'workflows:read',
  'workflows:submit',
  'workflows:cancel',
  'taskservs:read',
  'taskservs:create',
  'taskservs:delete',
  'batch:read',
  'batch:execute',
  'batch:cancel',
  'rollback:read',
  'rollback:checkpoint',
  'rollback:execute',
  'rollback:restore',
  'state:read',
  'workspaces:read',
  'workspaces:create',
  'costs:read',
  'costs:refresh',
  'inventory:tags_manage',
  'inventory:acl_manage',
  'vms:read',
  'vms:refresh',
  'vms:start',
  'vms:stop',
  'vms:delete',
  'vms:pull',
  'events:read',
  'role:admin',
  'role:operator',
  'role:developer',
  'role:viewer',
] as const

export type CanonicalPermission = (typeof canonical)[number]

/** Seed 001's codenames (CloudLab Manager), with the codenames of its code that the seed leaves out. */
const cloudlab: Record<string, CanonicalPermission> = {
  'instances.view': 'servers:read',
  'instances.stop': 'servers:stop',
  'instances.ssh': 'servers:ssh',
  'instances.refresh': 'servers:refresh',
  'services.view': 'services:read',
  'services.deploy': 'services:deploy',
  'services.stop': 'services:stop',
  'services.config.view': 'services:config_read',
  'services.config.edit': 'services:config_update',
  'services.files.view': 'services:files_read',
  'services.files.edit': 'services:files_update',
  'jobs.view_own': 'jobs:read_own',
  'jobs.view_all': 'jobs:read',
  'jobs.cancel': 'jobs:cancel',
  'users.view': 'users:read',
  'users.create': 'users:create',
  'users.edit': 'users:update',
  'users.delete': 'users:delete',
  'users.assign_roles': 'users:assign_roles',
  'roles.view': 'roles:read',
  'roles.create': 'roles:create',
  'roles.edit': 'roles:update',
  'roles.delete': 'roles:delete',
  'system.settings.view': 'settings:read',
  'system.settings.edit': 'settings:update',
  'system.stop_all': 'system:stop_all',
  'system.audit_log': 'audit:read',
  'costs.view': 'costs:read',
  'costs.refresh': 'costs:refresh',
  'inventory.tags.manage': 'inventory:tags_manage',
  'inventory.acl.manage': 'inventory:acl_manage',
}

/** Seed 002's "Required Permission" names (Provisioning API Server). */
const provisioning: Record<string, CanonicalPermission> = {
  server_read: 'servers:read',
  server_create: 'servers:create',
  server_delete: 'servers:delete',
  taskserv_read: 'taskservs:read',
  taskserv_create: 'taskservs:create',
  taskserv_delete: 'taskservs:delete',
  workflow_submit: 'workflows:submit',
  workflow_read: 'workflows:read',
  workflow_cancel: 'workflows:cancel',
  operation_read: 'jobs:read',
  operation_cancel: 'jobs:cancel',
  workspace_read: 'workspaces:read',
  workspace_create: 'workspaces:create',
  system_metrics: 'system:metrics',
}

/** Seed 003 has one local token and no permissions; these name its routes for a token-based deployment. */
const tartvm: Record<string, CanonicalPermission> = {
  'tart.version': 'vms:read',
  'vms.list': 'vms:read',
  'vms.get': 'vms:read',
  'vms.config': 'vms:read',
  'vms.refresh': 'vms:refresh',
  'vms.start': 'vms:start',
  'vms.stop': 'vms:stop',
  'vms.delete': 'vms:delete',
  'vms.pull': 'vms:pull',
  'tasks.get': 'jobs:read',
  'tasks.watch': 'events:read',
}

/** Seed 004's orchestrator route families, as `resource:action`. */
const orchestrator: Record<string, CanonicalPermission> = {
  'tasks:read': 'jobs:read',
  'workflows:create': 'workflows:submit',
  'batch:execute': 'batch:execute',
  'batch:read': 'batch:read',
  'batch:cancel': 'batch:cancel',
  'state:read': 'state:read',
  'rollback:read': 'rollback:read',
  'rollback:create': 'rollback:checkpoint',
  'rollback:execute': 'rollback:execute',
  'rollback:restore': 'rollback:restore',
  'metrics:read': 'system:metrics',
  'events:read': 'events:read',
}

/** Seed 004's control center checks roles (`admin`, `operator`) and `resource:action` pairs. */
const controlCenter: Record<string, CanonicalPermission> = {
  admin: 'role:admin',
  operator: 'role:operator',
  developer: 'role:developer',
  viewer: 'role:viewer',
  'audit:logs': 'audit:read',
}

const vocabularies: Record<Surface, Record<string, CanonicalPermission>> = {
  cloudlab,
  provisioning,
  tartvm,
  orchestrator,
  'control-center': controlCenter,
}

const viewer: CanonicalPermission[] = [
  'servers:read',
  'services:read',
  'services:config_read',
  'services:files_read',
  'jobs:read_own',
  'jobs:read',
  'workflows:read',
  'taskservs:read',
  'batch:read',
  'rollback:read',
  'state:read',
  'workspaces:read',
  'costs:read',
  'system:metrics',
  'settings:read',
  'vms:read',
  'events:read',
  'role:viewer',
]

const runWork: CanonicalPermission[] = [
  'servers:create',
  'servers:delete',
  'servers:stop',
  'servers:refresh',
  'services:deploy',
  'services:stop',
  'services:config_update',
  'services:files_update',
  'jobs:cancel',
  'workflows:submit',
  'workflows:cancel',
  'taskservs:create',
  'taskservs:delete',
  'batch:execute',
  'batch:cancel',
  'rollback:checkpoint',
  'rollback:execute',
  'rollback:restore',
  'workspaces:create',
  'vms:refresh',
  'vms:start',
  'vms:stop',
  'vms:delete',
  'vms:pull',
]

export interface BuiltInRole {
  name: 'admin' | 'operator' | 'developer' | 'viewer'
  description: string
  /** Canonical permissions or wildcard patterns over them. */
  permissions: string[]
}

/** `inventory:*.*` grants every inventory type's own actions but not `inventory:acl_manage`. */
export const builtInRoles: readonly BuiltInRole[] = [
  { name: 'admin', description: 'Full access, including users, roles, policies and the audit log', permissions: ['*'] },
  {
    name: 'operator',
    description: 'Runs and stops work everywhere and reads everything but users, roles, policies and audit',
    permissions: [...viewer, ...runWork, 'servers:ssh', 'system:stop_all', 'costs:refresh', 'inventory:tags_manage', 'inventory:*.*', 'role:operator'],
  },
  {
    name: 'developer',
    description: 'Runs work (deploys, servers, workflows, batches, rollbacks); no account-wide actions',
    permissions: [...viewer, ...runWork, 'inventory:*.*', 'role:developer'],
  },
  { name: 'viewer', description: 'Reads', permissions: [...viewer, 'inventory:*.view'] },
]

/** Other systems' names for the built-in roles: CloudLab's seeded role and 002's capitalised names. */
const roleAliases: Record<string, string> = {
  'super-admin': 'admin',
  'super admin': 'admin',
  superadmin: 'admin',
}

/** Role names are case-insensitive: `Admin`, `ADMIN` and `admin` are one role. */
export function normalizeRoleName(name: string): string {
  const lower = name.trim().toLowerCase()
  return roleAliases[lower] ?? lower
}

const canonicalSet: ReadonlySet<string> = new Set(canonical)
const cloudlabInventory = /^inventory\.([a-z0-9_-]+)\.([a-z0-9_]+)$/i
const canonicalShape = /^[a-z][a-z0-9_-]*:[a-z0-9_.-]+$/

/** The canonical permissions, and each surface's names for them. */
export const permissions = {
  canonical: canonical as readonly CanonicalPermission[],
  cloudlab: cloudlab as Readonly<Record<string, CanonicalPermission>>,
  provisioning: provisioning as Readonly<Record<string, CanonicalPermission>>,
  tartvm: tartvm as Readonly<Record<string, CanonicalPermission>>,
  orchestrator: orchestrator as Readonly<Record<string, CanonicalPermission>>,
  'control-center': controlCenter as Readonly<Record<string, CanonicalPermission>>,
} as const

/**
 * The canonical name of a permission given in a surface's vocabulary. Canonical names
 * are accepted as they are on every surface. An unknown name throws, so that a route
 * declared with a misspelt permission fails when the surface is built, not silently later.
 */
export function resolvePermission(surface: Surface, name: string): string {
  const vocabulary = vocabularies[surface]
  if (!vocabulary) throw new RangeError(`Unknown surface "${surface}"`)
  const mapped = Object.hasOwn(vocabulary, name) ? vocabulary[name] : undefined
  if (mapped) return mapped
  if (canonicalSet.has(name)) return name
  if (surface === 'cloudlab') {
    const inventory = cloudlabInventory.exec(name)
    if (inventory) return `inventory:${inventory[1]}.${inventory[2]}`.toLowerCase()
  }
  // 004 names resources freely (`servers:create`), so its surfaces accept any resource:action pair.
  if ((surface === 'orchestrator' || surface === 'control-center') && canonicalShape.test(name)) return name
  throw new RangeError(`Unknown ${surface} permission "${name}"`)
}

/** The canonical name of a permission given in any surface's vocabulary; dynamic names pass through. */
export function toCanonicalPermission(name: string): string {
  if (canonicalSet.has(name) || name.includes('*')) return name
  for (const vocabulary of Object.values(vocabularies)) {
    if (Object.hasOwn(vocabulary, name)) return vocabulary[name]
  }
  const inventory = cloudlabInventory.exec(name)
  if (inventory) return `inventory:${inventory[1]}.${inventory[2]}`.toLowerCase()
  return name
}

/** True when a permission or wildcard pattern is well formed for storing in a role. */
export function isPermissionPattern(name: string): boolean {
  return name === '*' || /^[a-z*][a-z0-9_*-]*:[a-z0-9_.*-]+$/.test(name)
}

/**
 * The permissions a set of grants holds: the canonical permissions its patterns match,
 * plus the patterns themselves so that dynamic names (inventory types) can still match.
 */
export function expandGrants(grants: Iterable<string>): Set<string> {
  const held = new Set<string>()
  for (const grant of grants) {
    held.add(grant)
    if (!grant.includes('*')) continue
    for (const name of canonical) if (matchWildcard(grant, name)) held.add(name)
  }
  return held
}

/** True when `held` (from `expandGrants`) grants the canonical permission. */
export function holds(held: ReadonlySet<string>, permission: string): boolean {
  if (held.has(permission) || held.has('*')) return true
  for (const grant of held) {
    if (grant.includes('*') && matchWildcard(grant, permission)) return true
  }
  return false
}

/**
 * True when `held` grants everything `grants` (from `expandGrants`) does. A wildcard grant counts
 * as the literal pattern, so `inventory:*.*` is covered by `*`, `inventory:*` or itself.
 */
export function coversGrants(held: ReadonlySet<string>, grants: ReadonlySet<string>): boolean {
  for (const grant of grants) if (!holds(held, grant)) return false
  return true
}

/** The names, in a surface's own vocabulary, of the permissions `held` grants (for CloudLab's `GET /api/auth/me`). */
export function surfacePermissions(surface: Surface, held: ReadonlySet<string>): string[] {
  return Object.entries(vocabularies[surface])
    .filter(([, canonicalName]) => holds(held, canonicalName))
    .map(([name]) => name)
    .sort()
}
