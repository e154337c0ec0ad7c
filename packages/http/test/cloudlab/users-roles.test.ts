import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCloudlab, type CloudlabServer } from './helpers'

describe('cloudlab users, roles, permissions and audit', () => {
  let app: CloudlabServer
  let nobody: { id: string; token: string }

  beforeAll(async () => {
    app = await startCloudlab()
    nobody = await app.userWith('nobody', [])
  })
  afterAll(async () => {
    await app?.close()
  })

  it('every protected route refuses a user without its permission: 403 Permission denied: <codename>', async () => {
    const routes: [string, string, string, unknown?][] = [
      ['GET', '/api/users', 'users.view'],
      ['GET', `/api/users/${app.adminId}`, 'users.view'],
      ['POST', '/api/users/invite', 'users.create', { username: 'x_user', email: 'x@example.com', role_ids: [] }],
      ['POST', '/api/users', 'users.create', { username: 'x_user', email: 'x@example.com', role_ids: [] }],
      ['PUT', `/api/users/${app.adminId}`, 'users.edit', { display_name: 'x' }],
      ['DELETE', `/api/users/${app.adminId}`, 'users.delete'],
      ['PUT', `/api/users/${app.adminId}/roles`, 'users.assign_roles', { role_ids: [] }],
      ['POST', `/api/users/${app.adminId}/roles`, 'users.assign_roles', { role_ids: [] }],
      ['POST', `/api/users/${app.adminId}/resend-invite`, 'users.create'],
      ['GET', '/api/roles', 'roles.view'],
      ['GET', '/api/roles/permissions', 'roles.view'],
      ['GET', '/api/roles/1', 'roles.view'],
      ['POST', '/api/roles', 'roles.create', { name: 'Nope', permission_ids: [] }],
      ['PUT', '/api/roles/1', 'roles.edit', { description: 'x' }],
      ['DELETE', '/api/roles/1', 'roles.delete'],
      ['GET', '/api/audit', 'system.audit_log'],
    ]
    for (const [method, path, permission, body] of routes) {
      const answer = await app.api(method, path, { token: nobody.token, body })
      expect({ method, path, status: answer.status, body: answer.body }).toEqual({
        method,
        path,
        status: 403,
        body: { detail: `Permission denied: ${permission}` },
      })
    }
  })

  it('roles: super-admin is the seeded system role; the permission list has every static codename with ids', async () => {
    const roles = await app.api('GET', '/api/roles')
    expect(roles.status).toBe(200)
    const superAdmin = roles.body.roles.find((role: any) => role.name === 'super-admin')
    expect(superAdmin).toMatchObject({ id: 1, description: 'Full system access', is_system: true, user_count: 1 })
    const permissions = await app.api('GET', '/api/roles/permissions')
    const everyCodename = (Object.values(permissions.body.permissions).flat() as any[]).map((p) => p.codename)
    // The 31 static permissions, then the inventory types' `inventory.{type}.{action}` ones.
    expect(everyCodename.filter((codename) => !/^inventory\.(?!tags\.|acl\.)/.test(codename))).toHaveLength(31)
    expect(superAdmin.permissions).toHaveLength(everyCodename.length)
    // The static categories, then one `inventory.<type>` category per inventory type (reference §4).
    expect(Object.keys(permissions.body.permissions)).toEqual([
      'instances',
      'services',
      'jobs',
      'users',
      'roles',
      'system',
      'costs',
      'inventory',
      'inventory.server',
      'inventory.service',
      'inventory.user',
      'inventory.deployment',
    ])
    expect(permissions.body.permissions.jobs.map((p: any) => p.codename)).toEqual(['jobs.view_own', 'jobs.view_all', 'jobs.cancel'])
    expect(permissions.body.permissions.instances[0]).toEqual({ id: 1, codename: 'instances.view', label: 'View Instances', description: expect.any(String) })
    expect((await app.api('GET', '/api/roles/1')).body.name).toBe('super-admin')
    expect(await app.api('GET', '/api/roles/999')).toMatchObject({ status: 404, body: { detail: 'Role not found' } })
    expect((await app.api('GET', '/api/roles/abc')).status).toBe(422)
  })

  it('custom roles: create, rename, change permissions, refuse duplicates, system roles and roles in use', async () => {
    const catalog = (await app.api('GET', '/api/roles/permissions')).body.permissions
    const id = (codename: string): number => (Object.values(catalog).flat() as any[]).find((p) => p.codename === codename).id
    const created = await app.api('POST', '/api/roles', {
      body: { name: 'Service Operator', description: 'Deploys', permission_ids: [id('services.view'), id('services.deploy')] },
    })
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({ name: 'Service Operator', description: 'Deploys', is_system: false, user_count: 0 })
    expect(created.body.permissions.map((p: any) => p.codename)).toEqual(['services.view', 'services.deploy'])
    expect(created.body.created_at).toMatch(/^\d{4}-/)
    const roleId = created.body.id

    expect(await app.api('POST', '/api/roles', { body: { name: 'service operator', permission_ids: [] } })).toMatchObject({
      status: 400,
      body: { detail: 'Role name already exists' },
    })
    expect(await app.api('POST', '/api/roles', { body: { name: 'super-admin', permission_ids: [] } })).toMatchObject({
      status: 400,
      body: { detail: 'Role name already exists' },
    })
    expect((await app.api('POST', '/api/roles', { body: { name: 'x', permission_ids: [] } })).status).toBe(422)
    expect((await app.api('POST', '/api/roles', { body: { name: 'Okay', permission_ids: ['one'] } })).status).toBe(422)
    expect(await app.api('POST', '/api/roles', { body: { name: 'Ghost perms', permission_ids: [9999] } })).toMatchObject({
      status: 400,
      body: { detail: 'Permission not found: 9999' },
    })

    const renamed = await app.api('PUT', `/api/roles/${roleId}`, { body: { name: 'Deployer', permission_ids: [id('jobs.view_all')] } })
    expect(renamed.status).toBe(200)
    expect(renamed.body).toMatchObject({ id: roleId, name: 'Deployer', description: 'Deploys' })
    expect(renamed.body.permissions.map((p: any) => p.codename)).toEqual(['jobs.view_all'])
    expect(await app.api('PUT', '/api/roles/1', { body: { description: 'mine' } })).toMatchObject({
      status: 400,
      body: { detail: 'Cannot modify system roles' },
    })
    expect(await app.api('DELETE', '/api/roles/1')).toMatchObject({ status: 400, body: { detail: 'Cannot delete system roles' } })
    expect((await app.api('PUT', '/api/roles/4242', { body: {} })).status).toBe(404)

    // Held by a user, the role stays.
    const invited = await app.api('POST', '/api/users/invite', { body: { username: 'role_holder', email: 'holder@example.com', role_ids: [roleId] } })
    expect(invited.status).toBe(200)
    expect(await app.api('DELETE', `/api/roles/${roleId}`)).toMatchObject({ status: 400, body: { detail: 'Cannot delete role with assigned users' } })
    expect((await app.api('PUT', `/api/users/${invited.body.user.id}/roles`, { body: { role_ids: [] } })).status).toBe(200)
    expect(await app.api('DELETE', `/api/roles/${roleId}`)).toMatchObject({ status: 200, body: { status: 'deleted' } })
    expect((await app.api('GET', `/api/roles/${roleId}`)).status).toBe(404)
  })

  it('a custom role grants exactly its permissions, and the user sees them in me', async () => {
    const viewer = await app.userWith('user_viewer', ['users.view'])
    expect((await app.api('GET', '/api/users', { token: viewer.token })).status).toBe(200)
    expect((await app.api('GET', '/api/roles', { token: viewer.token })).status).toBe(403)
    expect((await app.api('GET', '/api/auth/me', { token: viewer.token })).body.permissions).toEqual(['users.view'])
  })

  it('invite (both forms): inactive user with the role; the answer carries the token; duplicates and bad input refused', async () => {
    // The UI's create dialog sends no permission_ids.
    const roleId = (await app.api('POST', '/api/roles', { body: { name: 'Auditor', description: '' } })).body.id
    // The UI sends one `role_id`.
    const invited = await app.api('POST', '/api/users/invite', {
      body: { username: 'new_user', email: 'New@Example.com', display_name: 'New User', role_id: roleId },
    })
    expect(invited.status).toBe(200)
    expect(invited.body).toMatchObject({
      invite_sent: false,
      user: {
        username: 'new_user',
        email: 'new@example.com',
        display_name: 'New User',
        is_active: false,
        invite_accepted_at: null,
        last_login_at: null,
        roles: [{ id: roleId, name: 'Auditor' }],
      },
    })
    expect(invited.body.token).toMatch(/^[\w-]{64}$/)
    const seedForm = await app.api('POST', '/api/users', { body: { username: 'seed_user', email: 'seed@example.com', role_ids: [roleId] } })
    expect(seedForm.status).toBe(200)
    expect(seedForm.body.user.roles).toEqual([{ id: roleId, name: 'Auditor' }])

    expect(await app.api('POST', '/api/users/invite', { body: { username: 'new_user', email: 'other@example.com', role_ids: [] } })).toMatchObject({
      status: 400,
      body: { detail: 'Username already exists' },
    })
    expect(await app.api('POST', '/api/users/invite', { body: { username: 'another', email: 'new@example.com', role_ids: [] } })).toMatchObject({
      status: 400,
      body: { detail: 'Email already in use' },
    })
    expect(await app.api('POST', '/api/users/invite', { body: { username: 'another', email: 'another@example.com', role_ids: [777] } })).toMatchObject({
      status: 400,
      body: { detail: 'Role not found: 777' },
    })
    expect((await app.api('POST', '/api/users/invite', { body: { username: 'a b', email: 'another@example.com' } })).status).toBe(422)
    expect((await app.api('POST', '/api/users/invite', { body: { username: 'another', email: 'no-at-sign' } })).status).toBe(422)

    // Someone who may invite cannot hand out more than they hold.
    const inviter = await app.userWith('inviter', ['users.create'])
    const escalate = await app.api('POST', '/api/users/invite', {
      token: inviter.token,
      body: { username: 'sneaky', email: 'sneaky@example.com', role_ids: [1] },
    })
    expect(escalate.status).toBe(403)
    expect(
      (await app.api('POST', '/api/users/invite', { token: inviter.token, body: { username: 'plain', email: 'plain@example.com', role_ids: [] } })).status,
    ).toBe(200)

    // The invited user is inactive until they accept: resending works, and the user cannot log in yet.
    const resent = await app.api('POST', `/api/users/${invited.body.user.id}/resend-invite`)
    expect(resent.body).toMatchObject({ status: 'invite_resent' })
    expect(resent.body.token).not.toBe(invited.body.token)
    expect(await app.api('POST', `/api/users/${app.adminId}/resend-invite`)).toMatchObject({
      status: 400,
      body: { detail: 'User has already accepted their invite' },
    })
    expect((await app.api('POST', '/api/users/nope/resend-invite')).status).toBe(404)
  })

  it('users list, search and pages; detail with permissions; 404 for an unknown id', async () => {
    const all = await app.api('GET', '/api/users')
    expect(all.body.users.length).toBeGreaterThanOrEqual(5)
    expect(Object.keys(all.body.users[0]).sort()).toEqual([
      'created_at',
      'display_name',
      'email',
      'id',
      'invite_accepted_at',
      'is_active',
      'last_login_at',
      'roles',
      'username',
    ])
    const found = await app.api('GET', '/api/users?search=NEW%20us')
    expect(found.body.users.map((user: any) => user.username)).toEqual(['new_user'])
    expect((await app.api('GET', '/api/users?search=seed@example')).body.users.map((user: any) => user.username)).toEqual(['seed_user'])
    const paged = await app.api('GET', '/api/users?page=2&per_page=2')
    expect(paged.body).toMatchObject({ page: 2, per_page: 2, total: all.body.users.length })
    expect(paged.body.users.map((user: any) => user.id)).toEqual(all.body.users.slice(2, 4).map((user: any) => user.id))
    expect((await app.api('GET', '/api/users?per_page=500')).status).toBe(422)
    expect((await app.api('GET', '/api/users?page=0')).status).toBe(422)

    const admin = await app.api('GET', `/api/users/${app.adminId}`)
    expect(admin.body).toMatchObject({ username: 'admin', roles: [{ id: 1, name: 'super-admin' }] })
    expect(admin.body.permissions).toContain('users.view')
    expect(await app.api('GET', '/api/users/no-such-user')).toMatchObject({ status: 404, body: { detail: 'User not found' } })
  })

  it('edit, deactivate (soft delete), role assignment; nobody deactivates themselves', async () => {
    const target = await app.userWith('target_user', ['users.view'])
    const edited = await app.api('PUT', `/api/users/${target.id}`, { body: { display_name: 'Target', email: 'target@example.com' } })
    expect(edited.body).toMatchObject({ display_name: 'Target', email: 'target@example.com', is_active: true })
    expect(await app.api('PUT', `/api/users/${app.adminId}`, { body: { is_active: false } })).toMatchObject({
      status: 400,
      body: { detail: 'Cannot deactivate your own account' },
    })
    expect(await app.api('DELETE', `/api/users/${app.adminId}`)).toMatchObject({ status: 400, body: { detail: 'Cannot deactivate your own account' } })
    expect((await app.api('PUT', `/api/users/${target.id}`, { body: { is_active: 'no' } })).status).toBe(422)
    expect((await app.api('PUT', '/api/users/unknown', { body: {} })).status).toBe(404)

    const auditor = (await app.api('GET', '/api/roles')).body.roles.find((role: any) => role.name === 'Auditor')
    const assigned = await app.api('PUT', `/api/users/${target.id}/roles`, { body: { role_ids: [auditor.id] } })
    expect(assigned.body.roles).toEqual([{ id: auditor.id, name: 'Auditor' }])
    const seedForm = await app.api('POST', `/api/users/${target.id}/roles`, { body: { role_ids: [1] } })
    expect(seedForm.body.roles).toEqual([{ id: 1, name: 'super-admin' }])
    expect((await app.api('PUT', `/api/users/${target.id}/roles`, { body: { role_ids: 'all' } })).status).toBe(422)
    expect((await app.api('PUT', `/api/users/${target.id}/roles`, { body: { role_ids: [31337] } })).status).toBe(400)

    expect(await app.api('DELETE', `/api/users/${target.id}`)).toMatchObject({ status: 200, body: { status: 'deactivated' } })
    expect((await app.api('GET', `/api/users/${target.id}`)).body.is_active).toBe(false)
    // Its token stops working at once; the account is still there to reactivate.
    expect((await app.api('GET', '/api/auth/me', { token: target.token })).status).toBe(401)
    expect((await app.api('PUT', `/api/users/${target.id}`, { body: { is_active: true } })).body.is_active).toBe(true)
  })

  it('audit: mutating actions with CloudLab names, newest first, paged and filtered', async () => {
    const page = await app.api('GET', '/api/audit?per_page=5')
    expect(page.body).toMatchObject({ page: 1, per_page: 5 })
    expect(page.body.entries).toHaveLength(5)
    expect(page.body.total).toBeGreaterThan(10)
    const times = page.body.entries.map((entry: any) => entry.created_at)
    expect(times).toEqual([...times].sort().reverse())
    expect(Object.keys(page.body.entries[0]).sort()).toEqual([
      'action',
      'created_at',
      'details',
      'id',
      'ip_address',
      'resource',
      'timestamp',
      'user_id',
      'username',
    ])

    const actions = new Set<string>()
    for (let number = 1; number <= Math.ceil(page.body.total / 200); number++) {
      for (const entry of (await app.api('GET', `/api/audit?per_page=200&page=${number}`)).body.entries) actions.add(entry.action)
    }
    for (const action of [
      'setup',
      'user.invite',
      'user.deactivate',
      'user.roles.assign',
      'role.create',
      'role.edit',
      'role.delete',
      'user.update',
      'user.invite.resend',
    ])
      expect(actions).toContain(action)

    const invites = await app.api('GET', '/api/audit?action=user.invite&username=admin')
    expect(invites.body.entries.length).toBeGreaterThanOrEqual(3)
    expect(invites.body.entries.every((entry: any) => entry.action === 'user.invite' && entry.username === 'admin')).toBe(true)
    expect(invites.body.entries[0].resource).toMatch(/^users\//)
    expect((await app.api('GET', '/api/audit?username=nobody_at_all')).body).toEqual({ entries: [], total: 0, page: 1, per_page: 50 })
    expect((await app.api('GET', '/api/audit?per_page=201')).status).toBe(422)
    expect((await app.api('GET', '/api/audit?page=-1')).status).toBe(422)
  })
})
