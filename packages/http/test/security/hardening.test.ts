import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminPassword, expectEnvelopeError, startControlCenter, type TestServer } from '../helpers'

/** Sends raw bytes and reads the whole answer (the server closes the connection). */
function rawExchange(base: string, payload: string): Promise<string> {
  const { hostname, port } = new URL(base)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(payload))
    let received = ''
    socket.on('data', (chunk) => (received += chunk))
    socket.on('end', () => resolve(received))
    socket.on('error', reject)
  })
}

/** The reason phrase of an answer, which `fetch` does not expose reliably. */
function statusLine(base: string, path: string): Promise<{ status: number; message: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, (res) => {
      res.resume()
      resolve({ status: res.statusCode!, message: res.statusMessage! })
    })
    req.on('error', reject)
    req.end()
  })
}

function bodyOf(raw: string): unknown {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))
}

describe('control-center: hardening', () => {
  let t: TestServer
  const unexpected: unknown[] = []
  beforeAll(async () => {
    t = await startControlCenter({ server: { onUnexpectedError: (error) => unexpected.push(error) } })
  })
  afterAll(() => t.close())

  it('a request with a very long path id is audited (resource cut to the log limit), not reported as a crash', async () => {
    const id = 'x'.repeat(5000)
    const answer = await t.api('DELETE', `/users/${id}`, { token: t.adminToken })
    expect(answer.status).toBe(400)
    expectEnvelopeError(answer.body)
    const entries = (await t.server.audit.query({ action: 'user.delete', limit: 10 })).items
    expect(entries).toHaveLength(1)
    expect(entries[0].resource.startsWith('users/xxx')).toBe(true)
    expect(entries[0].resource.length).toBeLessThanOrEqual(500)
    expect(unexpected).toEqual([])
  })

  it('a refresh refused for a disabled account leaves the token usable once the account is enabled again', async () => {
    const { id } = await t.userWithToken('paused', ['viewer'])
    const login = await t.api('POST', '/auth/login', { body: { username: 'paused', password: 'paused-password' } })
    const refreshToken = login.body.data.refresh_token
    expect((await t.api('PUT', `/users/${id}`, { token: t.adminToken, body: { enabled: false } })).status).toBe(200)
    const refused = await t.api('POST', '/auth/refresh', { body: { refresh_token: refreshToken } })
    expect(refused.status).toBe(401)
    expectEnvelopeError(refused.body)
    expect((await t.api('PUT', `/users/${id}`, { token: t.adminToken, body: { enabled: true } })).status).toBe(200)
    // Not taken for a stolen token being replayed: the session carries on.
    const renewed = await t.api('POST', '/auth/refresh', { body: { refresh_token: refreshToken } })
    expect(renewed.status).toBe(200)
    expect((await t.api('POST', '/auth/refresh', { body: { refresh_token: renewed.body.data.refresh_token } })).status).toBe(200)
  })

  it('token answers are not cached; every answer forbids sniffing and framing, /docs included', async () => {
    const login = await t.api('POST', '/auth/login', { body: { username: 'admin', password: adminPassword } })
    expect(login.headers.get('cache-control')).toBe('no-store')
    const refresh = await t.api('POST', '/auth/refresh', { body: { refresh_token: login.body.data.refresh_token } })
    expect(refresh.headers.get('cache-control')).toBe('no-store')
    expect((await t.api('POST', '/auth/login', { body: { username: 'admin', password: 'wrong' } })).headers.get('cache-control')).toBe('no-store')

    for (const path of ['/health', '/docs', '/openapi.json', '/no-such-route']) {
      const answer = await t.api('GET', path)
      expect(answer.headers.get('x-content-type-options'), path).toBe('nosniff')
      expect(answer.headers.get('x-frame-options'), path).toBe('DENY')
      expect(answer.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'")
    }
  })

  it('answers carry the standard reason phrase', async () => {
    expect(await statusLine(t.base, '/health')).toEqual({ status: 200, message: 'OK' })
    expect(await statusLine(t.base, '/docs')).toEqual({ status: 200, message: 'OK' })
    expect(await statusLine(t.base, '/users')).toEqual({ status: 401, message: 'Unauthorized' })
    expect(await statusLine(t.base, '/no-such-route')).toEqual({ status: 404, message: 'Not Found' })
  })

  it.each([
    ['POST', '/users', { username: 'nul\u0000name', password: 'password-123' }],
    ['POST', '/policies', { name: 'invoice\u202Etxt.exe', rules: [] }],
    ['POST', '/policies', { name: 'ok', rules: [{ effect: 'Allow', resource: 'servers:\u0000', action: ['read'] }] }],
    ['POST', '/roles', { name: 'bidi-role', description: 'looks \u2066harmless', permissions: ['users:read'] }],
  ])('%s %s with control or bidirectional characters is 422', async (method, path, body) => {
    const answer = await t.api(method, path, { token: t.adminToken, body })
    expect(answer.status).toBe(422)
    expectEnvelopeError(answer.body)
  })

  it('the stores refuse those characters too, for surfaces with schemas of their own', async () => {
    await expect(t.identity.roles.create({ name: 'nul-role', description: 'a\u0000b', permissions: [] })).rejects.toMatchObject({ status: 422 })
    await expect(t.server.policies.create({ name: 'a\u202Eb', rules: [] })).rejects.toMatchObject({ status: 422 })
    await expect(t.server.policies.create({ name: 'ok', rules: [{ effect: 'Deny', resource: 'servers:*', action: ['re\u2066ad'] }] })).rejects.toMatchObject({
      status: 422,
    })
  })

  it.each(['0x10', '1e1', ' 16', '16.0', 'Infinity'])('limit=%s is refused with 400; only decimal digits are numbers', async (limit) => {
    const answer = await t.api('GET', `/users?limit=${encodeURIComponent(limit)}`, { token: t.adminToken })
    expect(answer.status).toBe(400)
    expectEnvelopeError(answer.body)
    expect((await t.api('GET', '/users?limit=16&offset=0', { token: t.adminToken })).status).toBe(200)
  })

  it('a body not declared as JSON is 415 (a cross-site form or text/plain post cannot log in)', async () => {
    const body = JSON.stringify({ username: 'admin', password: adminPassword })
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const answer = await t.api('POST', '/auth/login', { rawBody: body, headers: type ? { 'content-type': type } : {} })
      expect(answer.status, type).toBe(415)
      expectEnvelopeError(answer.body)
    }
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/vnd.provisio+json']) {
      expect((await t.api('POST', '/auth/login', { rawBody: body, headers: { 'content-type': type } })).status, type).toBe(200)
    }
  })

  it("Node's own refusals (headers too large, malformed request) answer in the error shape", async () => {
    const { host } = new URL(t.base)
    const huge = await rawExchange(t.base, `GET /health HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    expect(huge).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/)
    expect(huge).toMatch(/content-type: application\/json/i)
    expectEnvelopeError(bodyOf(huge))

    const garbage = await rawExchange(t.base, 'NOT A REQUEST\r\n\r\n')
    expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    expectEnvelopeError(bodyOf(garbage))
  })
})
