import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectEnvelopeError, startControlCenter, type TestServer } from '../helpers'

describe('control-center: users and roles', () => {
  let t: TestServer
  let viewer: { id: string; token: string }
  beforeAll(async () => {
    t = await startControlCenter()
    viewer = await t.userWithToken('viewer-1', ['viewer'])
  })
  afterAll(() => t.close())

  it('POST /users creates a user (201) with the documented fields; GET /users/{id} reads it', async () => {
    const created = await t.api('POST', '/users', {
      token: t.adminToken,
      body: { username: 'newuser', email: 'newuser@example.com', password: 'secure_password', roles: ['operator'], enabled: true },
    })
    expect(created.status).toBe(201)
    expect(created.body.success).toBe(true)
    const { id, ...rest } = created.body.data
    expect(typeof id).toBe('string')
    expect(rest).toEqual({ username: 'newuser', email: 'newuser@example.com', roles: ['operator'], enabled: true })

    const read = await t.api('GET', `/users/${id}`, { token: t.adminToken })
    expect(read.status).toBe(200)
    expect(read.body.data).toMatchObject({ id, username: 'newuser', enabled: true, mfa_enabled: false, last_login: null })
    expect(Date.parse(read.body.data.created_at)).not.toBeNaN()
    expect(await t.login('newuser', 'secure_password')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
  })

  it('POST /users with a taken username is 409', async () => {
    const answer = await t.api('POST', '/users', { token: t.adminToken, body: { username: 'newuser', password: 'another password' } })
    expect(answer.status).toBe(409)
    expectEnvelopeError(answer.body)
  })

  it('GET /users filters by role and enabled and pages with X-Total-Count, X-Limit, X-Offset and Link', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) {
      await t.api('POST', '/users', {
        token: t.adminToken,
        body: { username: name, password: 'password-123', roles: ['developer'], enabled: name !== 'page-c' },
      })
    }
    const developers = await t.api('GET', '/users?role=developer', { token: t.adminToken })
    expect(developers.body.data.map((user: any) => user.username).sort()).toEqual(['page-a', 'page-b', 'page-c'])
    const enabledDevelopers = await t.api('GET', '/users?role=developer&enabled=true', { token: t.adminToken })
    expect(enabledDevelopers.body.data.map((user: any) => user.username).sort()).toEqual(['page-a', 'page-b'])
    const disabled = await t.api('GET', '/users?enabled=false', { token: t.adminToken })
    expect(disabled.body.data.map((user: any) => user.username)).toEqual(['page-c'])

    const all = await t.api('GET', '/users', { token: t.adminToken })
    const total = Number(all.headers.get('x-total-count'))
    expect(total).toBe(all.body.data.length)
    expect(all.headers.get('x-limit')).toBe('50')
    expect(all.headers.get('x-offset')).toBe('0')

    const page = await t.api('GET', '/users?limit=2&offset=2', { token: t.adminToken })
    expect(page.body.data).toHaveLength(2)
    expect(page.headers.get('x-total-count')).toBe(String(total))
    expect(page.headers.get('x-limit')).toBe('2')
    expect(page.headers.get('x-offset')).toBe('2')
    const link = page.headers.get('link')!
    expect(link).toContain('</users?limit=2&offset=4>; rel="next"')
    expect(link).toContain('</users?limit=2&offset=0>; rel="prev"')
    const ids = new Set([...(await t.api('GET', '/users?limit=2&offset=0', { token: t.adminToken })).body.data, ...page.body.data].map((user: any) => user.id))
    expect(ids.size).toBe(4)
  })

  it('PUT /users/{id} updates email, roles and enabled', async () => {
    const { id } = await t.userWithToken('to-update', ['viewer'])
    const answer = await t.api('PUT', `/users/${id}`, {
      token: t.adminToken,
      body: { email: 'updated@example.com', roles: ['admin', 'operator'], enabled: false },
    })
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ success: true, data: 'User updated successfully' })
    const read = await t.api('GET', `/users/${id}`, { token: t.adminToken })
    expect(read.body.data).toMatchObject({ email: 'updated@example.com', roles: ['admin', 'operator'], enabled: false })
  })

  it("DELETE /users/{id} deletes, and the deleted user's token stops working", async () => {
    const { id, token } = await t.userWithToken('to-delete', ['operator'])
    const answer = await t.api('DELETE', `/users/${id}`, { token: t.adminToken })
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ success: true, data: 'User deleted successfully' })
    expect((await t.api('GET', `/users/${id}`, { token: t.adminToken })).status).toBe(404)
    expect((await t.api('POST', '/auth/mfa/enroll', { token })).status).toBe(401)
  })

  it('unknown user ids are 404 for GET, PUT and DELETE', async () => {
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', { enabled: true }],
      ['DELETE', undefined],
    ] as const) {
      const answer = await t.api(method, '/users/no-such-user', { token: t.adminToken, body })
      expect(answer.status, method).toBe(404)
      expectEnvelopeError(answer.body)
    }
  })

  it('a viewer cannot list, create, update or delete users (403)', async () => {
    const attempts = [
      ['GET', '/users', undefined],
      ['POST', '/users', { username: 'by-viewer', password: 'password-123' }],
      ['GET', `/users/${t.adminId}`, undefined],
      ['PUT', `/users/${viewer.id}`, { roles: ['admin'] }],
      ['DELETE', `/users/${t.adminId}`, undefined],
      ['POST', '/roles', { name: 'by-viewer', permissions: [] }],
    ] as const
    for (const [method, path, body] of attempts) {
      const answer = await t.api(method, path, { token: viewer.token, body })
      expect(answer.status, `${method} ${path}`).toBe(403)
      expectEnvelopeError(answer.body)
    }
    expect((await t.api('GET', `/users/${viewer.id}`, { token: t.adminToken })).body.data.roles).toEqual(['viewer'])
    expect((await t.api('GET', `/users/${t.adminId}`, { token: t.adminToken })).status).toBe(200)
  })

  it('GET /roles lists the built-in roles; POST /roles creates a custom role usable at once', async () => {
    const roles = await t.api('GET', '/roles', { token: t.adminToken })
    expect(roles.body.data.map((role: any) => role.name)).toEqual(expect.arrayContaining(['admin', 'operator', 'developer', 'viewer']))
    const created = await t.api('POST', '/roles', {
      token: t.adminToken,
      body: { name: 'auditor', description: 'Reads the audit log', permissions: ['audit:read'] },
    })
    expect(created.status).toBe(201)
    expect(created.body.data).toEqual({ name: 'auditor', description: 'Reads the audit log', permissions: ['audit:read'], built_in: false })
    const auditor = await t.userWithToken('auditor-1', ['auditor'])
    expect((await t.api('GET', '/audit/logs', { token: auditor.token })).status).toBe(200)
    expect((await t.api('GET', '/users', { token: auditor.token })).status).toBe(403)
  })

  it.each([
    ['POST', '/users', { username: 'x' }, 422],
    ['POST', '/users', { username: 'x', password: 'short' }, 422],
    ['POST', '/users', { username: 'x', password: 'long enough', email: 'not-an-email' }, 422],
    ['POST', '/users', { username: 'x', password: 'long enough', roles: 'admin' }, 422],
    ['POST', '/users', { username: 'x', password: 'long enough', enabled: 'yes' }, 422],
    ['PUT', '/users/ID', { enabled: 'no' }, 422],
    ['PUT', '/users/ID', { unknown_field: 1 }, 422],
    ['PUT', '/users/ID', 'just a string', 422],
    ['POST', '/roles', { name: 'Bad Name', permissions: [] }, 422],
    ['POST', '/roles', { name: 'ok' }, 422],
    ['GET', '/users?limit=0', undefined, 400],
    ['GET', '/users?limit=1001', undefined, 400],
    ['GET', '/users?offset=-1', undefined, 400],
    ['GET', '/users?enabled=maybe', undefined, 400],
    ['GET', '/users?limit=abc', undefined, 400],
  ])('%s %s with %j is %i in the error shape', async (method, path, body, status) => {
    const answer = await t.api(method, path.replace('ID', t.adminId), { token: t.adminToken, body })
    expect(answer.status).toBe(status)
    expectEnvelopeError(answer.body)
    expect(answer.body.error).toMatch(/^Validation failed: (body|query)/)
  })

  it('a body over 1 MiB is refused with 413 in the error shape, sized or chunked', async () => {
    const huge = JSON.stringify({ username: 'x', password: 'y'.repeat(1_100_000) })
    const sized = await t.api('POST', '/users', { token: t.adminToken, rawBody: huge, headers: { 'content-type': 'application/json' } })
    expect(sized.status).toBe(413)
    expectEnvelopeError(sized.body)
    const stream = new Blob([huge]).stream()
    const chunked = await fetch(`${t.base}/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(chunked.status).toBe(413)
    expectEnvelopeError(await chunked.json())
  })

  it('malformed JSON on POST /users and PUT /users/{id} is 400', async () => {
    for (const [method, path] of [
      ['POST', '/users'],
      ['PUT', `/users/${t.adminId}`],
      ['POST', '/roles'],
    ]) {
      const answer = await t.api(method, path, { token: t.adminToken, rawBody: '{not json', headers: { 'content-type': 'application/json' } })
      expect(answer.status).toBe(400)
      expectEnvelopeError(answer.body)
    }
  })
})
