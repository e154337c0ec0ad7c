import { decodeJwt } from 'jose'
import { createStorage } from 'unstorage'
import { describe, expect, it } from 'vitest'
import { AuthError, createIdentity } from '../../src/identity'
import { createClock, setupIdentity } from './_setup'

async function withUser(options: Parameters<typeof setupIdentity>[0] = {}) {
  const setup = setupIdentity(options)
  await setup.identity.users.create({ username: 'admin', password: 'password1', roles: ['admin'] })
  const user = await setup.identity.users.create({ username: 'olga', password: 'password1', roles: ['operator'] })
  return { ...setup, user }
}

describe('identity: tokens', () => {
  it('logs in with a signed HS256 access token carrying the documented claims', async () => {
    const { identity, user, clock } = await withUser()
    const pair = await identity.login({ username: 'OLGA', password: 'password1' })
    const claims = decodeJwt(pair.accessToken)
    expect(claims).toMatchObject({ sub: user.id, roles: ['operator'], iss: 'provisio', iat: clock.now() / 1000, exp: clock.now() / 1000 + 3600 })
    expect(typeof claims.jti).toBe('string')
    expect(pair.expiresAt).toBe(new Date(clock.now() + 3600_000).toISOString())
    expect(pair.user).toMatchObject({ id: user.id, last_login: new Date(clock.now()).toISOString() })
    const principal = await identity.verify(pair.accessToken)
    expect(principal).toMatchObject({ userId: user.id, username: 'olga', roles: ['operator'], tokenId: claims.jti })
    expect(principal.permissions.has('servers:create')).toBe(true)
    expect(principal.permissions.has('users:create')).toBe(false)
  })

  it('refuses a wrong password and an unknown user alike', async () => {
    const { identity } = await withUser()
    await expect(identity.login({ username: 'olga', password: 'wrong-password' })).rejects.toMatchObject({ code: 'invalid_credentials', status: 401 })
    await expect(identity.login({ username: 'nobody', password: 'password1' })).rejects.toMatchObject({ code: 'invalid_credentials', status: 401 })
  })

  it('rejects tampered, foreign and malformed tokens', async () => {
    const { identity } = await withUser()
    const { accessToken } = await identity.login({ username: 'olga', password: 'password1' })
    const [header, payload, signature] = accessToken.split('.')
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(accessToken), roles: ['admin'] })).toString('base64url')
    await expect(identity.verify(`${header}.${forged}.${signature}`)).rejects.toMatchObject({ code: 'invalid_token', status: 401 })
    const flipped = signature.slice(0, -2) + (signature.endsWith('A') ? 'BB' : 'AA')
    await expect(identity.verify(`${header}.${payload}.${flipped}`)).rejects.toMatchObject({ code: 'invalid_token' })
    const other = createIdentity({ storage: createStorage() })
    await other.users.create({ username: 'olga', password: 'password1' })
    const foreign = await other.login({ username: 'olga', password: 'password1' })
    await expect(identity.verify(foreign.accessToken)).rejects.toMatchObject({ code: 'invalid_token' })
    await expect(identity.verify('not.a.token')).rejects.toBeInstanceOf(AuthError)
    await expect(identity.verify('')).rejects.toMatchObject({ code: 'invalid_token' })
  })

  it('expires access tokens after their lifetime', async () => {
    const { identity, clock } = await withUser({ accessTokenTtlSeconds: 60 })
    const { accessToken } = await identity.login({ username: 'olga', password: 'password1' })
    clock.advance(59)
    await expect(identity.verify(accessToken)).resolves.toMatchObject({ username: 'olga' })
    clock.advance(1)
    await expect(identity.verify(accessToken)).rejects.toMatchObject({ code: 'expired', status: 401 })
  })

  it('expires a real token on the real clock', async () => {
    const identity = createIdentity({ storage: createStorage(), accessTokenTtlSeconds: 1 })
    await identity.users.create({ username: 'olga', password: 'password1' })
    const { accessToken } = await identity.login({ username: 'olga', password: 'password1' })
    await expect(identity.verify(accessToken)).resolves.toBeDefined()
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await expect(identity.verify(accessToken)).rejects.toMatchObject({ code: 'expired' })
  })

  it('rotates refresh tokens: the new pair works, the old refresh token does not', async () => {
    const { identity, storage } = await withUser()
    const first = await identity.login({ username: 'olga', password: 'password1' })
    const keys = await storage.getKeys('identity:refresh')
    expect(keys.join()).not.toContain(first.refreshToken)
    const second = await identity.refresh(first.refreshToken)
    expect(second.refreshToken).not.toBe(first.refreshToken)
    expect(second.accessToken).not.toBe(first.accessToken)
    await expect(identity.verify(second.accessToken)).resolves.toMatchObject({ username: 'olga' })
    const third = await identity.refresh(second.refreshToken)
    await expect(identity.verify(third.accessToken)).resolves.toBeDefined()
  })

  it('detects reuse of a refresh token and revokes its whole family', async () => {
    const { identity } = await withUser()
    const first = await identity.login({ username: 'olga', password: 'password1' })
    const second = await identity.refresh(first.refreshToken)
    await expect(identity.refresh(first.refreshToken)).rejects.toMatchObject({ code: 'reused', status: 401 })
    await expect(identity.refresh(second.refreshToken)).rejects.toMatchObject({ code: 'revoked' })
    // Another login of the same user is another family, untouched.
    const other = await identity.login({ username: 'olga', password: 'password1' })
    await expect(identity.refresh(other.refreshToken)).resolves.toBeDefined()
  })

  it('lets only one of two concurrent refreshes with the same token succeed', async () => {
    const { identity } = await withUser()
    const { refreshToken } = await identity.login({ username: 'olga', password: 'password1' })
    const outcomes = await Promise.allSettled([identity.refresh(refreshToken), identity.refresh(refreshToken)])
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected'])
  })

  it('expires refresh tokens and refuses unknown ones', async () => {
    const { identity, clock } = await withUser({ refreshTokenTtlSeconds: 120 })
    const { refreshToken } = await identity.login({ username: 'olga', password: 'password1' })
    clock.advance(121)
    await expect(identity.refresh(refreshToken)).rejects.toMatchObject({ code: 'expired' })
    await expect(identity.refresh('made-up')).rejects.toMatchObject({ code: 'invalid_token' })
  })

  it('renews an access token and revokes the one it replaces', async () => {
    const { identity, clock } = await withUser()
    const { accessToken } = await identity.login({ username: 'olga', password: 'password1' })
    clock.advance(10)
    const renewed = await identity.renewAccessToken(accessToken)
    expect(renewed.expiresAt).toBe(new Date(clock.now() + 3600_000).toISOString())
    await expect(identity.verify(renewed.accessToken)).resolves.toMatchObject({ username: 'olga' })
    await expect(identity.verify(accessToken)).rejects.toMatchObject({ code: 'revoked', status: 401 })
    await expect(identity.renewAccessToken(accessToken)).rejects.toMatchObject({ code: 'revoked' })
  })

  it('logs out: the access token and the refresh token stop working', async () => {
    const { identity } = await withUser()
    const pair = await identity.login({ username: 'olga', password: 'password1' })
    await identity.logout(pair.accessToken, pair.refreshToken)
    await expect(identity.verify(pair.accessToken)).rejects.toMatchObject({ code: 'revoked' })
    await expect(identity.refresh(pair.refreshToken)).rejects.toMatchObject({ code: 'revoked' })
  })

  it('stops a disabled or deleted user at once, and refuses a disabled login', async () => {
    const { identity, user } = await withUser()
    const pair = await identity.login({ username: 'olga', password: 'password1' })
    await identity.verify(pair.accessToken) // fills the cache
    await identity.users.update(user.id, { enabled: false })
    await expect(identity.verify(pair.accessToken)).rejects.toMatchObject({ code: 'disabled', status: 401 })
    await expect(identity.refresh(pair.refreshToken)).rejects.toMatchObject({ code: 'disabled' })
    await expect(identity.login({ username: 'olga', password: 'password1' })).rejects.toMatchObject({ code: 'disabled', status: 401 })
    await identity.users.update(user.id, { enabled: true })
    const again = await identity.login({ username: 'olga', password: 'password1' })
    await identity.verify(again.accessToken)
    await identity.users.delete(user.id)
    await expect(identity.verify(again.accessToken)).rejects.toMatchObject({ code: 'invalid_token', status: 401 })
    await expect(identity.refresh(again.refreshToken)).rejects.toBeInstanceOf(AuthError)
  })

  it('ends every session when the password changes', async () => {
    const { identity, user } = await withUser()
    const pair = await identity.login({ username: 'olga', password: 'password1' })
    await identity.users.update(user.id, { password: 'a-new-password' })
    await expect(identity.verify(pair.accessToken)).rejects.toMatchObject({ code: 'revoked' })
    await expect(identity.refresh(pair.refreshToken)).rejects.toMatchObject({ code: 'revoked' })
    await expect(identity.login({ username: 'olga', password: 'password1' })).rejects.toMatchObject({ code: 'invalid_credentials' })
    const fresh = await identity.login({ username: 'olga', password: 'a-new-password' })
    await expect(identity.verify(fresh.accessToken)).resolves.toBeDefined()
  })

  it('keeps the session named in keep when the password changes, until its own expiry; the others end', async () => {
    const { identity, user, clock, storage } = await withUser({ accessTokenTtlSeconds: 60 })
    const changer = await identity.login({ username: 'olga', password: 'password1' })
    const other = await identity.login({ username: 'olga', password: 'password1' })
    await identity.users.update(user.id, { password: 'a-new-password' }, { keep: await identity.verify(changer.accessToken) })
    await expect(identity.verify(changer.accessToken)).resolves.toMatchObject({ userId: user.id })
    await expect(identity.verify(other.accessToken)).rejects.toMatchObject({ code: 'revoked' })
    // A second change from the same session keeps it again.
    await identity.users.update(user.id, { password: 'a-newer-password' }, { keep: await identity.verify(changer.accessToken) })
    await expect(identity.verify(changer.accessToken)).resolves.toBeDefined()
    clock.advance(61)
    await expect(identity.verify(changer.accessToken)).rejects.toMatchObject({ code: 'expired' })
    expect(await identity.prune()).toBeGreaterThanOrEqual(1)
    expect(await storage.getKeys('identity:kept')).toEqual([])
  })

  it("gives one login a surface's own access lifetime", async () => {
    const { identity, clock } = await withUser({ accessTokenTtlSeconds: 60 })
    const day = await identity.login({ username: 'olga', password: 'password1', accessTokenTtlSeconds: 86_400 })
    expect(decodeJwt(day.accessToken)).toMatchObject({ exp: clock.now() / 1000 + 86_400 })
    expect(day.expiresAt).toBe(new Date(clock.now() + 86_400_000).toISOString())
    clock.advance(3600)
    await expect(identity.verify(day.accessToken)).resolves.toBeDefined()
    await expect(identity.login({ username: 'olga', password: 'password1', accessTokenTtlSeconds: 0 })).rejects.toThrow(RangeError)
  })

  it('reads role changes from the user, not from the token', async () => {
    const { identity, user } = await withUser()
    const { accessToken } = await identity.login({ username: 'olga', password: 'password1' })
    await identity.users.update(user.id, { roles: ['viewer'] })
    const principal = await identity.verify(accessToken)
    expect(principal.roles).toEqual(['viewer'])
    expect(identity.can(principal, 'servers:create')).toBe(false)
  })

  it('keeps the signing key in storage, so a restart accepts earlier tokens', async () => {
    const storage = createStorage()
    const clock = createClock()
    const before = createIdentity({ storage, now: clock.now })
    await before.users.create({ username: 'olga', password: 'password1' })
    const { accessToken } = await before.login({ username: 'olga', password: 'password1' })
    const stored = await storage.getItem<string>('identity:secrets:jwt')
    expect(Buffer.from(stored ?? '', 'base64url')).toHaveLength(32)
    const after = createIdentity({ storage, now: clock.now })
    await expect(after.verify(accessToken)).resolves.toMatchObject({ username: 'olga' })
  })

  it('uses a given signing key instead of storing one', async () => {
    const storage = createStorage()
    const signingKey = new Uint8Array(32).fill(7)
    const identity = createIdentity({ storage, signingKey, issuer: 'acme' })
    await identity.users.create({ username: 'olga', password: 'password1' })
    const { accessToken } = await identity.login({ username: 'olga', password: 'password1' })
    expect(decodeJwt(accessToken).iss).toBe('acme')
    expect(await storage.hasItem('identity:secrets:jwt')).toBe(false)
    await expect(createIdentity({ storage, signingKey }).verify(accessToken)).rejects.toMatchObject({ code: 'invalid_token' })
    expect(() => createIdentity({ storage, accessTokenTtlSeconds: 0 })).toThrow(RangeError)
  })

  it('prunes expired revocations and refresh tokens', async () => {
    const { identity, clock, storage } = await withUser({ accessTokenTtlSeconds: 60, refreshTokenTtlSeconds: 120 })
    const pair = await identity.login({ username: 'olga', password: 'password1' })
    await identity.logout(pair.accessToken, pair.refreshToken)
    expect(await identity.prune()).toBe(0)
    clock.advance(121)
    expect(await identity.prune()).toBe(3)
    expect(await storage.getKeys('identity:revoked')).toEqual([])
    expect(await storage.getKeys('identity:refresh')).toEqual([])
  })
})
