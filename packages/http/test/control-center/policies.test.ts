import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectEnvelopeError, startControlCenter, type TestServer } from '../helpers'

describe('control-center: policies', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startControlCenter()
  })
  afterAll(() => t.close())

  const documented = {
    name: 'new_policy',
    version: '1.0.0',
    rules: [{ effect: 'Allow', resource: 'servers:*', action: ['create', 'read'], condition: "user.role == 'admin'" }],
  }

  it('POST /policies creates (201) and answers id, name and version; GET /policies lists it', async () => {
    const created = await t.api('POST', '/policies', { token: t.adminToken, body: documented })
    expect(created.status).toBe(201)
    expect(created.body.data).toEqual({ id: expect.any(String), name: 'new_policy', version: '1.0.0' })
    const list = await t.api('GET', '/policies', { token: t.adminToken })
    expect(list.status).toBe(200)
    const policy = list.body.data.find((entry: any) => entry.id === created.body.data.id)
    expect(policy).toMatchObject({ name: 'new_policy', version: '1.0.0', enabled: true, rules: documented.rules })
    expect(list.headers.get('x-total-count')).toBe(String(list.body.data.length))
  })

  it('POST /policies with an invalid condition is 422, and nothing is stored', async () => {
    const before = (await t.api('GET', '/policies', { token: t.adminToken })).body.data.length
    const answer = await t.api('POST', '/policies', {
      token: t.adminToken,
      body: { name: 'broken', rules: [{ effect: 'Allow', resource: '*', action: ['read'], condition: "user.role == 'admin" }] },
    })
    expect(answer.status).toBe(422)
    expectEnvelopeError(answer.body)
    expect((await t.api('GET', '/policies', { token: t.adminToken })).body.data.length).toBe(before)
  })

  it('PUT /policies/{id} updates; GET and DELETE /policies/{id} read and remove it', async () => {
    const created = await t.api('POST', '/policies', { token: t.adminToken, body: { ...documented, name: 'to_update' } })
    const id = created.body.data.id
    const updated = await t.api('PUT', `/policies/${id}`, { token: t.adminToken, body: { name: 'updated_policy', rules: [] } })
    expect(updated.body).toEqual({ success: true, data: 'Policy updated successfully' })
    expect((await t.api('GET', `/policies/${id}`, { token: t.adminToken })).body.data).toMatchObject({ name: 'updated_policy', rules: [] })
    expect((await t.api('DELETE', `/policies/${id}`, { token: t.adminToken })).body).toEqual({ success: true, data: 'Policy deleted successfully' })
    expect((await t.api('GET', `/policies/${id}`, { token: t.adminToken })).status).toBe(404)
    expect((await t.api('PUT', `/policies/${id}`, { token: t.adminToken, body: { name: 'x' } })).status).toBe(404)
  })

  it('a policy deny wins over the admin role and over an allow rule; disabling it restores access', async () => {
    const { token } = await t.userWithToken('second-admin', ['admin'])
    const allow = await t.api('POST', '/policies', {
      token: t.adminToken,
      body: { name: 'allow_users', rules: [{ effect: 'Allow', resource: 'users*', action: ['*'] }] },
    })
    expect((await t.api('GET', '/users', { token })).status).toBe(200)
    const deny = await t.api('POST', '/policies', {
      token: t.adminToken,
      body: { name: 'deny_second_admin', rules: [{ effect: 'Deny', resource: 'users*', action: ['read'], condition: "user.username == 'second-admin'" }] },
    })
    expect(deny.status).toBe(201)
    const denied = await t.api('GET', '/users', { token })
    expect(denied.status).toBe(403)
    expectEnvelopeError(denied.body)
    expect(denied.body.error).toMatch(/policy/)
    // The condition scopes the deny: the first admin still reads.
    expect((await t.api('GET', '/users', { token: t.adminToken })).status).toBe(200)

    await t.api('PUT', `/policies/${deny.body.data.id}`, { token: t.adminToken, body: { enabled: false } })
    expect((await t.api('GET', '/users', { token })).status).toBe(200)
    await t.api('DELETE', `/policies/${deny.body.data.id}`, { token: t.adminToken })
    await t.api('DELETE', `/policies/${allow.body.data.id}`, { token: t.adminToken })
  })

  it('a policy allow grants a route the role lacks; without it the role decides', async () => {
    const viewer = await t.userWithToken('policy-viewer', ['viewer'])
    expect((await t.api('GET', '/audit/logs', { token: viewer.token })).status).toBe(403)
    const allow = await t.api('POST', '/policies', {
      token: t.adminToken,
      body: { name: 'viewers_read_audit', rules: [{ effect: 'Allow', resource: 'audit:logs', action: ['read'], condition: "'viewer' in user.roles" }] },
    })
    expect(allow.status).toBe(201)
    expect((await t.api('GET', '/audit/logs', { token: viewer.token })).status).toBe(200)
    expect((await t.api('GET', '/users', { token: viewer.token })).status).toBe(403)
    await t.api('DELETE', `/policies/${allow.body.data.id}`, { token: t.adminToken })
    expect((await t.api('GET', '/audit/logs', { token: viewer.token })).status).toBe(403)
  })

  it('non-admins cannot manage policies (403)', async () => {
    const operator = await t.userWithToken('policy-operator', ['operator'])
    expect((await t.api('GET', '/policies', { token: operator.token })).status).toBe(403)
    expect((await t.api('POST', '/policies', { token: operator.token, body: documented })).status).toBe(403)
  })

  it.each([
    ['POST', '/policies', { rules: [] }, 422],
    ['POST', '/policies', { name: 'x', rules: [{ effect: 'Maybe', resource: '*', action: ['read'] }] }, 422],
    ['POST', '/policies', { name: 'x', rules: [{ effect: 'Allow', action: ['read'] }] }, 422],
    ['POST', '/policies', { name: 'x', rules: 'all' }, 422],
    ['PUT', '/policies/some-id', { enabled: 'yes' }, 422],
    ['PUT', '/policies/some-id', { owner: 'me' }, 422],
    ['GET', '/policies?limit=5000', undefined, 400],
    ['GET', '/policies?enabled=1x', undefined, 400],
  ])('%s %s with %j is %i in the error shape', async (method, path, body, status) => {
    const answer = await t.api(method, path, { token: t.adminToken, body })
    expect(answer.status).toBe(status)
    expectEnvelopeError(answer.body)
  })
})
