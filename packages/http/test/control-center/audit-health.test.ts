import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectEnvelopeError, startControlCenter, type TestServer } from '../helpers'

describe('control-center: audit logs and health', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startControlCenter({
      server: {
        providers: [
          { name: 'vultr', mode: 'sandbox', endpoint: 'http://127.0.0.1:1/v2' },
          { name: 'upcloud', mode: 'live' },
        ],
      },
    })
  })
  afterAll(() => t.close())

  it('GET /health needs no token and says whether providers run in sandbox mode', async () => {
    const answer = await t.api('GET', '/health')
    expect(answer.status).toBe(200)
    expect(answer.body.success).toBe(true)
    expect(answer.body.data).toMatchObject({
      status: 'healthy',
      surface: 'control-center',
      sandbox: true,
      providers: [
        { name: 'vultr', mode: 'sandbox', endpoint: 'http://127.0.0.1:1/v2' },
        { name: 'upcloud', mode: 'live' },
      ],
    })
  })

  it('every mutating request is audited with user, action, resource, result, IP and time', async () => {
    const viewer = await t.userWithToken('audited-viewer', ['viewer'])
    const started = new Date(Date.now() - 1000).toISOString()
    const created = await t.api('POST', '/users', { token: t.adminToken, body: { username: 'audited', password: 'password-123' } })
    await t.api('PUT', `/users/${created.body.data.id}`, { token: t.adminToken, body: { enabled: 'nope' } })
    await t.api('POST', '/users', { token: viewer.token, body: { username: 'not-allowed', password: 'password-123' } })

    const logs = await t.api('GET', `/audit/logs?from=${encodeURIComponent(started)}`, { token: t.adminToken })
    expect(logs.status).toBe(200)
    const byAction = (action: string) => logs.body.data.filter((entry: any) => entry.action === action)
    const [create, denied] = [byAction('user.create').find((e: any) => e.result === 'success'), byAction('user.create').find((e: any) => e.result === 'denied')]
    expect(create).toMatchObject({ user_id: t.adminId, username: 'admin', resource: `users/${created.body.data.id}`, ip: expect.any(String) })
    expect(Date.parse(create.timestamp)).toBeGreaterThanOrEqual(Date.parse(started))
    expect(JSON.stringify(create.details)).not.toContain('password-123')
    expect(denied).toMatchObject({ user_id: viewer.id, resource: 'users', details: expect.objectContaining({ status: 403 }) })
    expect(byAction('user.update')[0]).toMatchObject({
      result: 'failure',
      resource: `users/${created.body.data.id}`,
      details: expect.objectContaining({ status: 422 }),
    })
  })

  it('GET /audit/logs filters by user_id, action, resource, from/to, and pages newest first', async () => {
    const mine = await t.api('GET', `/audit/logs?user_id=${t.adminId}&action=user.create`, { token: t.adminToken })
    expect(mine.body.data.length).toBeGreaterThan(0)
    expect(mine.body.data.every((entry: any) => entry.user_id === t.adminId && entry.action === 'user.create')).toBe(true)

    const byResource = await t.api('GET', '/audit/logs?resource=users', { token: t.adminToken })
    expect(byResource.body.data.every((entry: any) => entry.resource === 'users')).toBe(true)

    const future = new Date(Date.now() + 3600_000).toISOString()
    const none = await t.api('GET', `/audit/logs?from=${encodeURIComponent(future)}`, { token: t.adminToken })
    expect(none.body.data).toEqual([])
    expect(none.headers.get('x-total-count')).toBe('0')
    const past = await t.api('GET', `/audit/logs?to=${encodeURIComponent('2000-01-01T00:00:00Z')}`, { token: t.adminToken })
    expect(past.body.data).toEqual([])

    const all = await t.api('GET', '/audit/logs', { token: t.adminToken })
    const stamps = all.body.data.map((entry: any) => Date.parse(entry.timestamp))
    expect([...stamps].sort((a, b) => b - a)).toEqual(stamps)
    const second = await t.api('GET', '/audit/logs?limit=1&offset=1', { token: t.adminToken })
    expect(second.body.data[0].id).toBe(all.body.data[1].id)
    expect(second.headers.get('x-total-count')).toBe(String(all.body.data.length))
    expect(second.headers.get('link')).toContain('rel="prev"')
  })

  it('GET /audit/logs needs audit:read: a viewer is refused (403)', async () => {
    const viewer = await t.userWithToken('audit-viewer', ['viewer'])
    const answer = await t.api('GET', '/audit/logs', { token: viewer.token })
    expect(answer.status).toBe(403)
    expectEnvelopeError(answer.body)
  })

  it.each(['/audit/logs?from=yesterday', '/audit/logs?to=2025-13-45', '/audit/logs?limit=-5', '/audit/logs?result=maybe', '/audit/logs?offset=x'])(
    'GET %s is 400 in the error shape',
    async (path) => {
      const answer = await t.api('GET', path, { token: t.adminToken })
      expect(answer.status).toBe(400)
      expectEnvelopeError(answer.body)
    },
  )
})
