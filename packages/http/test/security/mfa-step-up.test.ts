import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectEnvelopeError, startControlCenter, type TestServer } from '../helpers'

const totp = (secret: string, offsetSeconds = 0) =>
  new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSeconds * 1000 })

/** Enrols and confirms MFA for a new user; the token was issued before MFA was on. */
async function userWithMfa(t: TestServer, username: string) {
  const { id, token } = await t.userWithToken(username, ['viewer'])
  const { secret } = (await t.api('POST', '/auth/mfa/enroll', { token })).body.data
  expect((await t.api('POST', '/auth/mfa/confirm', { token, body: { code: totp(secret) } })).status).toBe(200)
  return { id, token, secret }
}

describe('control-center: MFA changes need a step-up proof', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startControlCenter()
  })
  afterAll(() => t.close())

  it('a token from before MFA was on cannot turn it off without a current code or the password', async () => {
    const { token, secret } = await userWithMfa(t, 'stepup-1')
    const bare = await t.api('POST', '/auth/mfa/disable', { token })
    expect(bare.status).toBe(403)
    expectEnvelopeError(bare.body)
    expect((await t.api('POST', '/auth/mfa/disable', { token, body: { password: 'not-the-password' } })).status).toBe(403)
    const wrongCode = totp(secret, 3600) === totp(secret) ? '000000' : totp(secret, 3600)
    expect((await t.api('POST', '/auth/mfa/disable', { token, body: { code: wrongCode } })).status).toBe(403)
    expect((await t.identity.users.getByUsername('stepup-1'))!.mfaEnabled).toBe(true)

    const off = await t.api('POST', '/auth/mfa/disable', { token, body: { password: 'stepup-1-password' } })
    expect(off.status).toBe(200)
    expect((await t.identity.users.getByUsername('stepup-1'))!.mfaEnabled).toBe(false)
  })

  it('re-enrolment needs the proof too; a current code is accepted once', async () => {
    const { token, secret } = await userWithMfa(t, 'stepup-2')
    expect((await t.api('POST', '/auth/mfa/enroll', { token })).status).toBe(403)
    // The confirming code's step is spent: the next step's code is the current proof.
    const code = totp(secret, 30)
    const again = await t.api('POST', '/auth/mfa/enroll', { token, body: { code } })
    expect(again.status).toBe(200)
    expect(again.body.data.secret).not.toBe(secret)
    expect((await t.api('POST', '/auth/mfa/enroll', { token, body: { code } })).status).toBe(403)
  })

  it('an administrator resets a lost authenticator with DELETE /users/{id}/mfa; others may not', async () => {
    const { id } = await userWithMfa(t, 'stepup-3')
    const other = await t.userWithToken('stepup-helpdesk', ['viewer'])
    expect((await t.api('DELETE', `/users/${id}/mfa`, { token: other.token })).status).toBe(403)
    expect((await t.api('POST', '/auth/login', { body: { username: 'stepup-3', password: 'stepup-3-password' } })).status).toBe(401)

    const reset = await t.api('DELETE', `/users/${id}/mfa`, { token: t.adminToken })
    expect(reset.status).toBe(200)
    expect((await t.api('POST', '/auth/login', { body: { username: 'stepup-3', password: 'stepup-3-password' } })).status).toBe(200)
    const audit = await t.api('GET', '/audit/logs?action=user.mfa_reset', { token: t.adminToken })
    expect(audit.body.data[0]).toMatchObject({ resource: `users/${id}/mfa`, result: 'success', user_id: t.adminId })
  })

  it('malformed JSON to /auth/mfa/enroll and /auth/mfa/disable is 400, not 200', async () => {
    const { token } = await t.userWithToken('stepup-4', ['viewer'])
    for (const path of ['/auth/mfa/enroll', '/auth/mfa/disable']) {
      const answer = await t.api('POST', path, { token, rawBody: '{"code": ', headers: { 'content-type': 'application/json' } })
      expect(answer.status, path).toBe(400)
      expectEnvelopeError(answer.body)
    }
  })
})
