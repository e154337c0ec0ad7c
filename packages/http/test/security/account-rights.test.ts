import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminPassword, expectEnvelopeError, startControlCenter, type TestServer } from '../helpers'

describe("control-center: account edits stay within the caller's rights", () => {
  let t: TestServer
  let helpdesk: { id: string; token: string }
  let grantor: { id: string; token: string }
  let peer: { id: string; token: string }
  beforeAll(async () => {
    t = await startControlCenter()
    await t.identity.roles.create({ name: 'helpdesk', permissions: ['users:read', 'users:update'] })
    await t.identity.roles.create({
      name: 'account-admin',
      permissions: ['users:read', 'users:update', 'users:reset_password', 'users:disable', 'users:delete'],
    })
    await t.identity.roles.create({ name: 'grantor', permissions: ['users:read', 'users:update', 'users:assign_roles'] })
    await t.identity.roles.create({ name: 'reader', permissions: ['users:read'] })
    helpdesk = await t.userWithToken('helpdesk-1', ['helpdesk'])
    grantor = await t.userWithToken('grantor-1', ['grantor'])
    peer = await t.userWithToken('reader-1', ['reader'])
  })
  afterAll(() => t.close())

  it("users:update alone cannot set the admin's password, and the admin keeps their own", async () => {
    const answer = await t.api('PUT', `/users/${t.adminId}`, { token: helpdesk.token, body: { password: 'taken-over-password' } })
    expect(answer.status).toBe(403)
    expectEnvelopeError(answer.body)
    expect((await t.api('POST', '/auth/login', { body: { username: 'admin', password: 'taken-over-password' } })).status).toBe(401)
    expect((await t.api('POST', '/auth/login', { body: { username: 'admin', password: adminPassword } })).status).toBe(200)
  })

  it('an account holding a permission the caller lacks cannot be edited at all, not even its e-mail', async () => {
    const answer = await t.api('PUT', `/users/${t.adminId}`, { token: helpdesk.token, body: { email: 'attacker@example.com' } })
    expect(answer.status).toBe(403)
    expect((await t.identity.users.get(t.adminId))!.email).toBe('admin@example.com')
  })

  it("another user's password needs users:reset_password, enabling or disabling needs users:disable", async () => {
    expect((await t.api('PUT', `/users/${peer.id}`, { token: helpdesk.token, body: { password: 'new-password-1' } })).status).toBe(403)
    expect((await t.api('PUT', `/users/${peer.id}`, { token: helpdesk.token, body: { enabled: false } })).status).toBe(403)
    expect((await t.identity.users.get(peer.id))!.enabled).toBe(true)
    // Within its rights, a plain edit is fine.
    expect((await t.api('PUT', `/users/${peer.id}`, { token: helpdesk.token, body: { email: 'reader@example.com' } })).status).toBe(200)

    const accountAdmin = await t.userWithToken('account-admin-1', ['account-admin'])
    expect((await t.api('PUT', `/users/${peer.id}`, { token: accountAdmin.token, body: { password: 'new-password-1' } })).status).toBe(200)
    expect(await t.login('reader-1', 'new-password-1')).toMatch(/^eyJ/)
    expect((await t.api('PUT', `/users/${peer.id}`, { token: accountAdmin.token, body: { enabled: false } })).status).toBe(200)
    expect((await t.api('PUT', `/users/${peer.id}`, { token: accountAdmin.token, body: { enabled: true } })).status).toBe(200)
    // Still not the admin, whatever the permission: the admin holds more.
    expect((await t.api('PUT', `/users/${t.adminId}`, { token: accountAdmin.token, body: { password: 'taken-over-password' } })).status).toBe(403)
    expect((await t.api('DELETE', `/users/${t.adminId}`, { token: accountAdmin.token })).status).toBe(403)
  })

  it('a user may change their own password with users:update', async () => {
    expect((await t.api('PUT', `/users/${helpdesk.id}`, { token: helpdesk.token, body: { password: 'helpdesk-new-password' } })).status).toBe(200)
    helpdesk = { id: helpdesk.id, token: await t.login('helpdesk-1', 'helpdesk-new-password') }
  })

  it('users:assign_roles cannot hand out roles beyond the giver, to others or to themselves', async () => {
    for (const target of [grantor.id, peer.id]) {
      const answer = await t.api('PUT', `/users/${target}`, { token: grantor.token, body: { roles: ['admin'] } })
      expect(answer.status).toBe(403)
      expectEnvelopeError(answer.body)
    }
    expect((await t.identity.users.get(grantor.id))!.roles).toEqual(['grantor'])
    const created = await t.api('POST', '/users', { token: grantor.token, body: { username: 'made-admin', password: 'password-123', roles: ['admin'] } })
    expect(created.status).toBe(403)
    // Roles within the giver's rights are fine.
    expect((await t.api('PUT', `/users/${peer.id}`, { token: grantor.token, body: { roles: ['reader', 'helpdesk'] } })).status).toBe(200)
  })

  it('the admin can still do all of it', async () => {
    expect((await t.api('PUT', `/users/${peer.id}`, { token: t.adminToken, body: { password: 'admin-set-password', roles: ['viewer'] } })).status).toBe(200)
    expect(await t.login('reader-1', 'admin-set-password')).toMatch(/^eyJ/)
  })
})
