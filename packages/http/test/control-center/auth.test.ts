import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminPassword, expectEnvelopeError, startControlCenter, type TestServer } from '../helpers'

const totp = (secret: string, offsetSeconds = 0) =>
  new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSeconds * 1000 })

describe('control-center: authentication', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startControlCenter()
  })
  afterAll(() => t.close())

  it('POST /auth/login answers the documented token, expiry and user, plus a refresh token', async () => {
    const answer = await t.api('POST', '/auth/login', { body: { username: 'admin', password: adminPassword } })
    expect(answer.status).toBe(200)
    expect(answer.body.success).toBe(true)
    const data = answer.body.data
    expect(data.token.split('.')).toHaveLength(3)
    expect(Date.parse(data.expires_at)).toBeGreaterThan(Date.now())
    expect(typeof data.refresh_token).toBe('string')
    expect(data.user).toEqual({ id: t.adminId, username: 'admin', email: 'admin@example.com', roles: ['admin'] })
  })

  it('POST /auth/login with a wrong password is 401 in the error shape, and both outcomes are audited', async () => {
    const answer = await t.api('POST', '/auth/login', { body: { username: 'admin', password: 'wrong password' } })
    expect(answer.status).toBe(401)
    expectEnvelopeError(answer.body)
    const logs = await t.api('GET', '/audit/logs?action=auth.login', { token: t.adminToken })
    const results = logs.body.data.map((entry: any) => entry.result)
    expect(results).toContain('success')
    expect(results).toContain('denied')
    const failed = logs.body.data.find((entry: any) => entry.result === 'denied')
    expect(failed.username).toBe('admin')
    expect(JSON.stringify(failed)).not.toContain('wrong password')
  })

  it('a protected route without a token, with a malformed one or a forged one is 401', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-jwt' }, { authorization: 'Basic YWRtaW46eA==' }] as Record<string, string>[]) {
      const answer = await t.api('GET', '/users', { headers })
      expect(answer.status).toBe(401)
      expectEnvelopeError(answer.body)
    }
    const [header, payload] = t.adminToken.split('.')
    const forged = await t.api('GET', '/users', { token: `${header}.${payload}.${'A'.repeat(43)}` })
    expect(forged.status).toBe(401)
  })

  it('an expired token is 401', async () => {
    const token = await t.login('admin', adminPassword)
    expect((await t.api('GET', '/users', { token })).status).toBe(200)
    t.advanceClock(2 * 24 * 3600 * 1000)
    try {
      const answer = await t.api('GET', '/users', { token })
      expect(answer.status).toBe(401)
      expectEnvelopeError(answer.body)
    } finally {
      t.advanceClock(-2 * 24 * 3600 * 1000)
    }
  })

  it('POST /auth/refresh {"token"} answers a new token and the old one stops working', async () => {
    const token = await t.login('admin', adminPassword)
    const answer = await t.api('POST', '/auth/refresh', { body: { token } })
    expect(answer.status).toBe(200)
    expect(Object.keys(answer.body.data).sort()).toEqual(['expires_at', 'token'])
    const renewed = answer.body.data.token
    expect(renewed).not.toBe(token)
    expect((await t.api('GET', '/users', { token })).status).toBe(401)
    expect((await t.api('GET', '/users', { token: renewed })).status).toBe(200)
    expect((await t.api('POST', '/auth/refresh', { body: { token } })).status).toBe(401)
  })

  it('POST /auth/refresh {"refresh_token"} rotates it; reusing the old one is refused and revokes the family', async () => {
    const login = await t.api('POST', '/auth/login', { body: { username: 'admin', password: adminPassword } })
    const first = login.body.data.refresh_token
    const rotated = await t.api('POST', '/auth/refresh', { body: { refresh_token: first } })
    expect(rotated.status).toBe(200)
    const second = rotated.body.data.refresh_token
    expect(second).not.toBe(first)
    expect((await t.api('GET', '/users', { token: rotated.body.data.token })).status).toBe(200)

    const reused = await t.api('POST', '/auth/refresh', { body: { refresh_token: first } })
    expect(reused.status).toBe(401)
    expectEnvelopeError(reused.body)
    // Reuse detection ends the whole family: the rotated token is no longer accepted either.
    expect((await t.api('POST', '/auth/refresh', { body: { refresh_token: second } })).status).toBe(401)
  })

  it('POST /auth/logout invalidates the token', async () => {
    const token = await t.login('admin', adminPassword)
    const answer = await t.api('POST', '/auth/logout', { token })
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ success: true, data: 'Successfully logged out' })
    expect((await t.api('GET', '/users', { token })).status).toBe(401)
    expect((await t.api('POST', '/auth/logout', { token })).status).toBe(401)
  })

  it('a disabled account cannot log in and its tokens answer 401 at once', async () => {
    const { id, token } = await t.userWithToken('soon-disabled', ['operator'])
    expect((await t.api('POST', '/auth/mfa/enroll', { token })).status).toBe(200)
    const disabled = await t.api('PUT', `/users/${id}`, { token: t.adminToken, body: { enabled: false } })
    expect(disabled.status).toBe(200)
    expect((await t.api('POST', '/auth/mfa/enroll', { token })).status).toBe(401)
    const login = await t.api('POST', '/auth/login', { body: { username: 'soon-disabled', password: 'soon-disabled-password' } })
    expect(login.status).toBe(401)
    expectEnvelopeError(login.body)
  })

  it('MFA: enrol, confirm, then login needs a valid mfa_code; disable turns it off', async () => {
    const { token } = await t.userWithToken('mfa-user', ['viewer'])
    const enrol = await t.api('POST', '/auth/mfa/enroll', { token })
    expect(enrol.status).toBe(200)
    const { secret, otpauth_url } = enrol.body.data
    expect(otpauth_url).toMatch(/^otpauth:\/\/totp\//)

    expect((await t.api('POST', '/auth/mfa/confirm', { token, body: { code: '000000' === totp(secret) ? '111111' : '000000' } })).status).toBe(401)
    const confirm = await t.api('POST', '/auth/mfa/confirm', { token, body: { code: totp(secret) } })
    expect(confirm.status).toBe(200)

    const without = await t.api('POST', '/auth/login', { body: { username: 'mfa-user', password: 'mfa-user-password' } })
    expect(without.status).toBe(401)
    expectEnvelopeError(without.body)
    const wrongCode = totp(secret, 3600)
    const wrong = await t.api('POST', '/auth/login', { body: { username: 'mfa-user', password: 'mfa-user-password', mfa_code: wrongCode } })
    expect(wrong.status).toBe(401)
    // The confirming code's time step is spent (no replay): the next step's code, within the drift window, is accepted.
    const withCode = await t.api('POST', '/auth/login', { body: { username: 'mfa-user', password: 'mfa-user-password', mfa_code: totp(secret, 30) } })
    expect(withCode.status).toBe(200)

    const off = await t.api('POST', '/auth/mfa/disable', { token: withCode.body.data.token, body: { password: 'mfa-user-password' } })
    expect(off.status).toBe(200)
    expect((await t.api('POST', '/auth/login', { body: { username: 'mfa-user', password: 'mfa-user-password' } })).status).toBe(200)
  })

  it.each([
    ['POST', '/auth/login', {}, 422],
    ['POST', '/auth/login', { username: 'admin' }, 422],
    ['POST', '/auth/login', { username: 'admin', password: 'x', mfa_code: 'abc' }, 422],
    ['POST', '/auth/login', [1, 2], 422],
    ['POST', '/auth/refresh', {}, 422],
    ['POST', '/auth/refresh', { token: 'a', refresh_token: 'b' }, 422],
    ['POST', '/auth/refresh', { token: 42 }, 422],
    ['POST', '/auth/mfa/confirm', { code: '12' }, 422],
    ['POST', '/auth/logout', { refresh_token: 7 }, 422],
  ])('%s %s with %j is %i in the error shape', async (method, path, body, status) => {
    const answer = await t.api(method, path, { token: t.adminToken, body })
    expect(answer.status).toBe(status)
    expectEnvelopeError(answer.body)
  })

  it('malformed JSON is 400 on every body-taking auth route', async () => {
    for (const path of ['/auth/login', '/auth/refresh', '/auth/logout', '/auth/mfa/confirm']) {
      const answer = await t.api('POST', path, { token: t.adminToken, rawBody: '{"username": ', headers: { 'content-type': 'application/json' } })
      expect(answer.status, path).toBe(400)
      expectEnvelopeError(answer.body)
    }
  })
})

describe('control-center: account lockout', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startControlCenter({ lockout: { maxFailures: 3, windowSeconds: 900, lockSeconds: 600 } })
  })
  afterAll(() => t.close())

  it('repeated wrong passwords lock the account: 423 with Retry-After, even with the right password', async () => {
    await t.userWithToken('target', ['viewer'])
    for (let i = 0; i < 3; i++) {
      expect((await t.api('POST', '/auth/login', { body: { username: 'target', password: 'guess' } })).status).toBe(401)
    }
    const locked = await t.api('POST', '/auth/login', { body: { username: 'target', password: 'target-password' } })
    expect(locked.status).toBe(423)
    expectEnvelopeError(locked.body)
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(locked.headers.get('x-ratelimit-limit')).not.toBeNull()
  })
})
