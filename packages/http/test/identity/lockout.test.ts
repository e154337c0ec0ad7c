import { describe, expect, it } from 'vitest'
import { AuthError } from '../../src/identity'
import { setupIdentity, totpCode, wrongTotpCode } from './_setup'

async function failLogins(identity: ReturnType<typeof setupIdentity>['identity'], username: string, times: number) {
  for (let attempt = 0; attempt < times; attempt++) {
    await expect(identity.login({ username, password: 'wrong-password' })).rejects.toMatchObject({ code: 'invalid_credentials' })
  }
}

describe('identity: lockout', () => {
  it('locks the account after 5 failures, even for the right password, and says when to retry', async () => {
    const { identity, clock } = setupIdentity()
    await identity.users.create({ username: 'lena', password: 'password1' })
    await failLogins(identity, 'lena', 5)
    const error = await identity.login({ username: 'lena', password: 'password1' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(AuthError)
    expect(error).toMatchObject({ code: 'locked', status: 423, retryAfterSeconds: 900 })
    clock.advance(899)
    await expect(identity.login({ username: 'lena', password: 'password1' })).rejects.toMatchObject({ code: 'locked', retryAfterSeconds: 1 })
    clock.advance(1)
    await expect(identity.login({ username: 'lena', password: 'password1' })).resolves.toBeDefined()
  })

  it('resets the count on success and forgets failures outside the window', async () => {
    const { identity, clock } = setupIdentity({ lockout: { maxFailures: 3, windowSeconds: 60, lockSeconds: 30 } })
    await identity.users.create({ username: 'lena', password: 'password1' })
    await failLogins(identity, 'lena', 2)
    await identity.login({ username: 'lena', password: 'password1' })
    await failLogins(identity, 'lena', 2)
    clock.advance(61)
    await failLogins(identity, 'lena', 2)
    await expect(identity.login({ username: 'lena', password: 'password1' })).resolves.toBeDefined()
    await failLogins(identity, 'lena', 3)
    await expect(identity.login({ username: 'lena', password: 'password1' })).rejects.toMatchObject({ code: 'locked', retryAfterSeconds: 30 })
  })

  it('locks unknown usernames too, so a lock does not reveal which accounts exist', async () => {
    const { identity, storage } = setupIdentity()
    await failLogins(identity, 'ghost', 5)
    await expect(identity.login({ username: 'ghost', password: 'whatever1' })).rejects.toMatchObject({ code: 'locked' })
    const keys = await storage.getKeys('identity:lockout')
    expect(keys).toHaveLength(1)
    expect(keys[0]).not.toContain('ghost')
  })

  it('counts wrong MFA codes as failures', async () => {
    const { identity, clock } = setupIdentity()
    const user = await identity.users.create({ username: 'lena', password: 'password1' })
    const { secret } = await identity.mfa.enroll(user.id)
    await identity.mfa.confirm(user.id, totpCode(secret, clock.now()))
    const wrong = wrongTotpCode(secret, clock.now())
    for (let attempt = 0; attempt < 5; attempt++) {
      await expect(identity.login({ username: 'lena', password: 'password1', mfaCode: wrong })).rejects.toMatchObject({ code: 'mfa_invalid' })
    }
    await expect(identity.login({ username: 'lena', password: 'password1', mfaCode: totpCode(secret, clock.now() + 30_000) })).rejects.toMatchObject({
      code: 'locked',
    })
  })
})

describe('identity: lockout under concurrent attempts', () => {
  it('counts every one of simultaneous failures', async () => {
    const { identity } = setupIdentity()
    await identity.users.create({ username: 'lena', password: 'password1' })
    const attempts = await Promise.allSettled(Array.from({ length: 5 }, () => identity.login({ username: 'lena', password: 'wrong-password' })))
    expect(attempts.every((attempt) => attempt.status === 'rejected')).toBe(true)
    await expect(identity.login({ username: 'lena', password: 'password1' })).rejects.toMatchObject({ code: 'locked' })
  })
})
