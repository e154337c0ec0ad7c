import { describe, expect, it, vi } from 'vitest'
import { builtInRoles, createIdentity, permissions, resolvePermission, surfacePermissions } from '../../src/identity'
import { expandGrants } from '../../src/identity/permissions'
import { setupIdentity } from './_setup'

const manage = ['users:create', 'users.edit', 'roles.create', 'policies:update', 'audit:read', 'system.audit_log']
const runWork = [
  'services.deploy',
  'server_create',
  'server_delete',
  'workflow_submit',
  'batch:execute',
  'rollback:execute',
  'taskserv_create',
  'workflows:create',
]
const read = ['services.view', 'server_read', 'workflow_read', 'tasks:read', 'state:read', 'system_metrics', 'instances.view']

describe('identity: roles and permissions', () => {
  it('gives only admin the management permissions', () => {
    const { identity } = setupIdentity()
    for (const permission of manage) {
      expect(identity.can({ roles: ['admin'] }, permission), permission).toBe(true)
      for (const role of ['operator', 'developer', 'viewer']) expect(identity.can({ roles: [role] }, permission), `${role} ${permission}`).toBe(false)
    }
  })

  it('lets operator and developer run work and viewer only read', () => {
    const { identity } = setupIdentity()
    for (const permission of runWork) {
      expect(identity.can({ roles: ['operator'] }, permission), permission).toBe(true)
      expect(identity.can({ roles: ['developer'] }, permission), permission).toBe(true)
      expect(identity.can({ roles: ['viewer'] }, permission), permission).toBe(false)
    }
    for (const permission of read) {
      for (const role of ['admin', 'operator', 'developer', 'viewer']) expect(identity.can({ roles: [role] }, permission), `${role} ${permission}`).toBe(true)
    }
    expect(identity.can({ roles: ['operator'] }, 'system.stop_all')).toBe(true)
    expect(identity.can({ roles: ['developer'] }, 'system.stop_all')).toBe(false)
    expect(identity.can({ roles: [] }, 'services.view')).toBe(false)
  })

  it("accepts 002's capitalised role names and CloudLab's super-admin", async () => {
    const { identity } = setupIdentity()
    expect(identity.can({ roles: ['Admin'] }, 'users.create')).toBe(true)
    expect(identity.can({ roles: ['Viewer'] }, 'server_read')).toBe(true)
    const user = await identity.users.create({ username: 'sam', password: 'password1', roles: ['Operator', 'super-admin'] })
    expect(user.roles).toEqual(['operator', 'admin'])
  })

  it("maps control-center roles and each surface's vocabulary to one model", () => {
    const { identity } = setupIdentity()
    expect(resolvePermission('cloudlab', 'services.deploy')).toBe('services:deploy')
    expect(resolvePermission('cloudlab', 'inventory.server.ssh')).toBe('inventory:server.ssh')
    expect(resolvePermission('provisioning', 'server_create')).toBe('servers:create')
    expect(resolvePermission('provisioning', 'operation_cancel')).toBe('jobs:cancel')
    expect(resolvePermission('tartvm', 'vms.start')).toBe('vms:start')
    expect(resolvePermission('orchestrator', 'rollback:create')).toBe('rollback:checkpoint')
    expect(resolvePermission('orchestrator', 'servers:create')).toBe('servers:create')
    expect(resolvePermission('control-center', 'admin')).toBe('role:admin')
    expect(resolvePermission('control-center', 'users:create')).toBe('users:create')
    expect(() => resolvePermission('cloudlab', 'services.deplyo')).toThrow('Unknown cloudlab permission "services.deplyo"')
    expect(() => resolvePermission('provisioning', 'servers.create')).toThrow(RangeError)
    // An operator counts as operator and as viewer on control-center; admin counts as everything.
    expect(identity.can({ roles: ['operator'] }, resolvePermission('control-center', 'operator'))).toBe(true)
    expect(identity.can({ roles: ['operator'] }, resolvePermission('control-center', 'viewer'))).toBe(true)
    expect(identity.can({ roles: ['operator'] }, resolvePermission('control-center', 'admin'))).toBe(false)
    expect(identity.can({ roles: ['admin'] }, resolvePermission('control-center', 'operator'))).toBe(true)
    expect(identity.can({ roles: ['viewer'] }, 'inventory.server.view')).toBe(true)
    expect(identity.can({ roles: ['viewer'] }, 'inventory.server.ssh')).toBe(false)
    expect(identity.can({ roles: ['developer'] }, 'inventory.server.ssh')).toBe(true)
    expect(identity.can({ roles: ['developer'] }, 'inventory.acl.manage')).toBe(false)
  })

  it('maps every surface name to a canonical permission, with no name claimed by two surfaces differently', () => {
    const canonical = new Set<string>(permissions.canonical)
    const seen = new Map<string, string>()
    for (const surface of ['cloudlab', 'provisioning', 'tartvm', 'orchestrator', 'control-center'] as const) {
      for (const [name, target] of Object.entries(permissions[surface])) {
        expect(canonical.has(target), `${surface} ${name}`).toBe(true)
        if (seen.has(name)) expect(seen.get(name), name).toBe(target)
        seen.set(name, target)
      }
    }
    for (const role of builtInRoles) expect(role.permissions.length).toBeGreaterThan(0)
  })

  it('gives a principal an expanded permission set that the caller can test directly', async () => {
    const { identity } = setupIdentity()
    await identity.users.create({ username: 'root', password: 'password1', roles: ['admin'] })
    const { accessToken } = await identity.login({ username: 'root', password: 'password1' })
    const principal = await identity.verify(accessToken)
    expect(principal.permissions.has('users:create')).toBe(true)
    expect(identity.can(principal, 'users.delete')).toBe(true)
    expect(identity.can(principal, 'inventory.anything.at_all')).toBe(true)
  })

  it('lists built-in roles and refuses to change or delete them', async () => {
    const { identity } = setupIdentity()
    const roles = await identity.roles.list()
    expect(roles.map((role) => role.name)).toEqual(['admin', 'operator', 'developer', 'viewer'])
    expect(roles.every((role) => role.builtIn)).toBe(true)
    await expect(identity.roles.update('Admin', { permissions: [] })).rejects.toMatchObject({ code: 'invalid', status: 400 })
    await expect(identity.roles.delete('viewer')).rejects.toMatchObject({ code: 'invalid', status: 400 })
    await expect(identity.roles.create({ name: 'viewer', permissions: [] })).rejects.toMatchObject({ code: 'conflict' })
  })

  it('creates custom roles from any vocabulary and applies them to tokens at once', async () => {
    const { identity } = setupIdentity()
    const deployer = await identity.roles.create({
      name: 'Deployer',
      description: 'Deploys services',
      permissions: ['services.deploy', 'server_read', 'workflows:*'],
    })
    expect(deployer).toEqual({
      name: 'deployer',
      description: 'Deploys services',
      permissions: ['services:deploy', 'servers:read', 'workflows:*'],
      builtIn: false,
    })
    await expect(identity.roles.create({ name: 'bad', permissions: ['services.deplyo'] })).rejects.toThrow('Unknown permission "services.deplyo"')
    await expect(identity.roles.create({ name: 'x', permissions: [] })).rejects.toMatchObject({ code: 'invalid' })
    const user = await identity.users.create({ username: 'dina', password: 'password1', roles: ['deployer'] })
    const { accessToken } = await identity.login({ username: 'dina', password: 'password1' })
    const principal = await identity.verify(accessToken)
    expect(identity.can(principal, 'services.deploy')).toBe(true)
    expect(identity.can(principal, 'workflow_cancel')).toBe(true)
    expect(identity.can(principal, 'server_create')).toBe(false)
    expect(identity.can({ roles: ['deployer'] }, 'services.deploy')).toBe(true)

    await identity.roles.update('deployer', { permissions: ['server_create'] })
    const after = await identity.verify(accessToken)
    expect(identity.can(after, 'server_create')).toBe(true)
    expect(identity.can(after, 'services.deploy')).toBe(false)
    expect((await identity.roles.get('DEPLOYER'))?.permissions).toEqual(['servers:create'])

    await expect(identity.roles.delete('deployer')).rejects.toMatchObject({ code: 'conflict', status: 409 })
    await identity.users.update(user.id, { roles: [] })
    await identity.roles.delete('deployer')
    expect(await identity.roles.get('deployer')).toBeUndefined()
    expect(identity.can({ roles: ['deployer'] }, 'server_create')).toBe(false)
    await expect(identity.roles.delete('deployer')).rejects.toMatchObject({ code: 'not_found' })
  })

  it("applies another node's role changes to this node's tokens within the cache lifetime", async () => {
    const { identity, storage, clock } = setupIdentity()
    const other = createIdentity({ storage, now: clock.now })
    await other.roles.create({ name: 'deployer', permissions: ['services.deploy'] })
    await identity.users.create({ username: 'dina', password: 'password1', roles: ['deployer'] })
    const { accessToken } = await identity.login({ username: 'dina', password: 'password1' })
    expect(identity.can(await identity.verify(accessToken), 'services.deploy')).toBe(true)

    await other.roles.update('deployer', { permissions: ['server_create'] })
    expect(identity.can(await identity.verify(accessToken), 'server_create')).toBe(false)
    clock.advance(5)
    const after = await identity.verify(accessToken)
    expect(identity.can(after, 'server_create')).toBe(true)
    expect(identity.can(after, 'services.deploy')).toBe(false)

    // While no role changes, a check reads the change stamp and lists no keys.
    const listings = vi.spyOn(storage, 'getKeys')
    clock.advance(5)
    expect(identity.can(await identity.verify(accessToken), 'server_create')).toBe(true)
    expect(listings).not.toHaveBeenCalled()
  })
})

describe('identity: permissions in a surface vocabulary', () => {
  it("lists a viewer's permissions in CloudLab's and provisioning's names", () => {
    const { identity } = setupIdentity()
    const held = expandGrants(builtInRoles.find((role) => role.name === 'viewer')!.permissions)
    expect(surfacePermissions('provisioning', held)).toEqual([
      'operation_read',
      'server_read',
      'system_metrics',
      'taskserv_read',
      'workflow_read',
      'workspace_read',
    ])
    const cloudlab = surfacePermissions('cloudlab', held)
    expect(cloudlab).toContain('services.view')
    expect(cloudlab).not.toContain('services.deploy')
    expect(cloudlab.every((name) => identity.can({ roles: ['viewer'] }, name))).toBe(true)
  })
})
