import { describe, expect, it } from 'vitest'
import { setupIdentity, totpCode, wrongTotpCode } from './_setup'

async function enrolled() {
  const setup = setupIdentity()
  const user = await setup.identity.users.create({ username: 'mia', password: 'password1', roles: ['developer'] })
  const { secret, otpauthUrl } = await setup.identity.mfa.enroll(user.id)
  return { ...setup, user, secret, otpauthUrl }
}

describe('identity: TOTP MFA', () => {
  it('enrols with an otpauth URL and requires nothing until confirmed', async () => {
    const { identity, user, secret, otpauthUrl } = await enrolled()
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(otpauthUrl).toMatch(/^otpauth:\/\/totp\/provisio:mia\?/)
    expect(otpauthUrl).toContain(`secret=${secret}`)
    await expect(identity.login({ username: 'mia', password: 'password1' })).resolves.toBeDefined()
    expect((await identity.users.get(user.id))?.mfaEnabled).toBe(false)
  })

  it('refuses confirmation with a wrong code and without an enrolment', async () => {
    const { identity, user, secret, clock } = await enrolled()
    await expect(identity.mfa.confirm(user.id, wrongTotpCode(secret, clock.now()))).rejects.toMatchObject({ code: 'mfa_invalid' })
    const other = await identity.users.create({ username: 'noel', password: 'password1' })
    await expect(identity.mfa.confirm(other.id, '123456')).rejects.toMatchObject({ code: 'invalid', status: 422 })
    await expect(identity.mfa.enroll('missing')).rejects.toMatchObject({ code: 'not_found' })
  })

  it('requires a valid code at login once confirmed', async () => {
    const { identity, user, secret, clock } = await enrolled()
    await identity.mfa.confirm(user.id, totpCode(secret, clock.now()))
    expect((await identity.users.get(user.id))?.mfaEnabled).toBe(true)
    await expect(identity.login({ username: 'mia', password: 'password1' })).rejects.toMatchObject({ code: 'mfa_required', status: 401 })
    await expect(identity.login({ username: 'mia', password: 'password1', mfaCode: '12345' })).rejects.toMatchObject({ code: 'mfa_invalid', status: 401 })
    clock.advance(30)
    const pair = await identity.login({ username: 'mia', password: 'password1', mfaCode: totpCode(secret, clock.now()) })
    await expect(identity.verify(pair.accessToken)).resolves.toMatchObject({ username: 'mia' })
    expect(pair.user.mfaEnabled).toBe(true)
  })

  it('accepts each code once, so a seen code cannot be replayed', async () => {
    const { identity, user, secret, clock } = await enrolled()
    await identity.mfa.confirm(user.id, totpCode(secret, clock.now()))
    clock.advance(60)
    const code = totpCode(secret, clock.now())
    await identity.login({ username: 'mia', password: 'password1', mfaCode: code })
    await expect(identity.login({ username: 'mia', password: 'password1', mfaCode: code })).rejects.toMatchObject({ code: 'mfa_invalid' })
  })

  it('keeps the secret sealed in storage and can be turned off', async () => {
    const { identity, user, secret, clock, storage } = await enrolled()
    await identity.mfa.confirm(user.id, totpCode(secret, clock.now()))
    const record = await storage.getItem(`identity:users:${user.id}`)
    expect(JSON.stringify(record)).not.toContain(secret)
    await expect(identity.mfa.disable(user.id)).rejects.toMatchObject({ code: 'step_up_required', status: 403 })
    await expect(identity.mfa.disable(user.id, { password: 'wrong-password' })).rejects.toMatchObject({ code: 'step_up_failed' })
    await identity.mfa.disable(user.id, { password: 'password1' })
    expect((await identity.users.get(user.id))?.mfaEnabled).toBe(false)
    await expect(identity.login({ username: 'mia', password: 'password1' })).resolves.toBeDefined()
  })
})
