import { describe, expect, it } from 'vitest'
import { createIdentity, IdentityError } from '../../src/identity'
import { setupIdentity } from './_setup'

describe('identity: users', () => {
  it('stores an argon2id hash and never the password', async () => {
    const { identity, storage } = setupIdentity()
    const user = await identity.users.create({ username: 'alice', password: 'correct horse', email: 'Alice@Example.com', roles: ['Operator'] })
    expect(user).toMatchObject({ username: 'alice', email: 'alice@example.com', roles: ['operator'], enabled: true, mfaEnabled: false, last_login: null })
    expect(JSON.stringify(user)).not.toContain('correct horse')
    expect(user).not.toHaveProperty('password_hash')
    const keys = await storage.getKeys('')
    const stored = await Promise.all(keys.map((key) => storage.getItem(key)))
    expect(JSON.stringify(stored)).not.toContain('correct horse')
    const record = await storage.getItem<{ password_hash: string }>(`identity:users:${user.id}`)
    expect(record?.password_hash).toMatch(/^\$argon2id\$v=19\$/)
    expect(await storage.getItem('identity:usernames:alice')).toBe(user.id)
  })

  it('checks a password without logging in', async () => {
    const { identity } = setupIdentity()
    const user = await identity.users.create({ username: 'paula', password: 'password1' })
    expect(await identity.checkPassword(user.id, 'password1')).toBe(true)
    expect(await identity.checkPassword(user.id, 'password2')).toBe(false)
    expect(await identity.checkPassword('missing', 'password1')).toBe(false)
  })

  it('refuses a short password with a clear message', async () => {
    const { identity } = setupIdentity()
    const attempt = identity.users.create({ username: 'bob', password: 'short' })
    await expect(attempt).rejects.toThrow('Password must be at least 8 characters')
    await expect(attempt).rejects.toMatchObject({ code: 'invalid', status: 422 })
    expect(await identity.users.count()).toBe(0)
  })

  it('refuses bad usernames, emails and unknown roles', async () => {
    const { identity } = setupIdentity()
    await expect(identity.users.create({ username: 'a:b', password: 'password1' })).rejects.toMatchObject({ code: 'invalid' })
    await expect(identity.users.create({ username: 'carol', password: 'password1', email: 'not-an-email' })).rejects.toThrow('Email')
    await expect(identity.users.create({ username: 'carol', password: 'password1', roles: ['wizard'] })).rejects.toThrow('Unknown role "wizard"')
  })

  it('treats usernames as unique whatever their casing', async () => {
    const { identity } = setupIdentity()
    await identity.users.create({ username: 'Dave', password: 'password1' })
    await expect(identity.users.create({ username: 'dave', password: 'password1' })).rejects.toMatchObject({ code: 'conflict', status: 409 })
    expect((await identity.users.getByUsername('DAVE'))?.username).toBe('Dave')
  })

  it('lists by role and enabled, with paging and totals', async () => {
    const { identity } = setupIdentity()
    for (const [index, roles] of [['admin'], ['operator'], ['operator'], ['viewer'], ['operator', 'viewer']].entries()) {
      await identity.users.create({ username: `user${index}`, password: 'password1', roles, enabled: index !== 2 })
    }
    const all = await identity.users.list()
    expect(all.total).toBe(5)
    expect(all.items.map((user) => user.username)).toEqual(['user0', 'user1', 'user2', 'user3', 'user4'])
    const operators = await identity.users.list({ role: 'Operator' })
    expect(operators.items.map((user) => user.username)).toEqual(['user1', 'user2', 'user4'])
    const enabledOperators = await identity.users.list({ role: 'operator', enabled: true })
    expect(enabledOperators).toMatchObject({ total: 2 })
    expect((await identity.users.list({ enabled: false })).items.map((user) => user.username)).toEqual(['user2'])
    const page = await identity.users.list({ limit: 2, offset: 2 })
    expect(page.total).toBe(5)
    expect(page.items.map((user) => user.username)).toEqual(['user2', 'user3'])
    expect(await identity.users.list({ role: 'nobody' })).toEqual({ items: [], total: 0 })
  })

  it('updates email, roles and enabled, keeping the role index in step', async () => {
    const { identity } = setupIdentity()
    const user = await identity.users.create({ username: 'erin', password: 'password1', roles: ['viewer'] })
    const updated = await identity.users.update(user.id, { email: 'erin@example.com', roles: ['developer'], enabled: false })
    expect(updated).toMatchObject({ email: 'erin@example.com', roles: ['developer'], enabled: false })
    expect((await identity.users.list({ role: 'viewer' })).total).toBe(0)
    expect((await identity.users.list({ role: 'developer' })).total).toBe(1)
    await expect(identity.users.update('missing', { enabled: true })).rejects.toMatchObject({ code: 'not_found', status: 404 })
  })

  it('deletes a user and frees the username', async () => {
    const { identity } = setupIdentity()
    const user = await identity.users.create({ username: 'frank', password: 'password1', roles: ['viewer'] })
    await identity.users.delete(user.id)
    expect(await identity.users.get(user.id)).toBeUndefined()
    expect(await identity.users.getByUsername('frank')).toBeUndefined()
    expect((await identity.users.list({ role: 'viewer' })).total).toBe(0)
    await identity.users.create({ username: 'frank', password: 'password1' })
    await expect(identity.users.delete(user.id)).rejects.toBeInstanceOf(IdentityError)
  })

  it("lists through a cache: this node's writes show at once, another node's within cacheTtlMs", async () => {
    const { identity, storage, clock } = setupIdentity()
    const other = createIdentity({ storage, now: clock.now })
    await identity.users.create({ username: 'alice', password: 'correct horse', roles: ['operator'] })
    expect((await identity.users.list()).total).toBe(1)
    expect((await identity.users.list({ role: 'operator' })).total).toBe(1)
    const bob = await other.users.create({ username: 'bob', password: 'correct horse', roles: ['operator'] })
    expect((await identity.users.list({ role: 'operator' })).total).toBe(1)
    await identity.users.update(bob.id, { enabled: false })
    expect((await identity.users.list({ role: 'operator' })).items.map((user) => [user.username, user.enabled])).toEqual([
      ['alice', true],
      ['bob', false],
    ])
    expect((await identity.users.list()).total).toBe(2)
    await other.users.delete(bob.id)
    expect((await identity.users.list()).total).toBe(2)
    clock.advance(5)
    expect((await identity.users.list()).items.map((user) => user.username)).toEqual(['alice'])
  })

  it('refuses to delete, disable or demote the last enabled admin', async () => {
    const { identity } = setupIdentity()
    const admin = await identity.users.create({ username: 'root', password: 'password1', roles: ['admin'] })
    await expect(identity.users.delete(admin.id)).rejects.toMatchObject({ code: 'last_admin', status: 409 })
    await expect(identity.users.update(admin.id, { enabled: false })).rejects.toMatchObject({ code: 'last_admin' })
    await expect(identity.users.update(admin.id, { roles: ['viewer'] })).rejects.toMatchObject({ code: 'last_admin' })
    const second = await identity.users.create({ username: 'root2', password: 'password1', roles: ['admin'], enabled: false })
    // A disabled admin does not count.
    await expect(identity.users.delete(admin.id)).rejects.toMatchObject({ code: 'last_admin' })
    await identity.users.update(second.id, { enabled: true })
    await identity.users.delete(admin.id)
    expect(await identity.users.count()).toBe(1)
    await expect(identity.users.update(second.id, { enabled: false })).rejects.toMatchObject({ code: 'last_admin' })
  })

  it('bootstraps the first admin only while there are no users', async () => {
    const { identity } = setupIdentity()
    const admin = await identity.bootstrapAdmin({ username: 'admin', password: 'password1', email: 'admin@example.com' })
    expect(admin).toMatchObject({ username: 'admin', roles: ['admin'], enabled: true })
    expect(await identity.bootstrapAdmin({ username: 'other', password: 'password1' })).toBeUndefined()
    expect(await identity.users.count()).toBe(1)
  })

  it('creates only one first admin when bootstraps race', async () => {
    const { identity } = setupIdentity()
    const results = await Promise.all([
      identity.bootstrapAdmin({ username: 'one', password: 'password1' }),
      identity.bootstrapAdmin({ username: 'two', password: 'password1' }),
    ])
    expect(results.filter(Boolean)).toHaveLength(1)
    expect(await identity.users.count()).toBe(1)
  })
})
