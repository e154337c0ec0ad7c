import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { matchWildcard } from '../../src/identity/wildcard'
import { expectEnvelopeError, startControlCenter, type TestServer } from '../helpers'

describe('wildcard matching', () => {
  it.each([
    ['*', '', true],
    ['servers:*', 'servers:web-01', true],
    ['servers:*', 'server:web', false],
    ['*:read', 'users:read', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['*a*a*b', 'aab', true],
    ['*a*a*b', 'ab', false],
    ['user.*', 'user.create', true],
    ['a.c', 'abc', false],
    ['(x)*', '(x)y', true],
    ['**', 'anything', true],
  ])('%s against %s is %s', (pattern, value, expected) => {
    expect(matchWildcard(pattern, value)).toBe(expected)
  })

  it('stays linear on patterns that make a backtracking regular expression explode', () => {
    const started = performance.now()
    expect(matchWildcard(`${'*a'.repeat(50)}*b`, 'a'.repeat(100_000))).toBe(false)
    expect(performance.now() - started).toBeLessThan(1000)
  })
})

describe('control-center: wildcard queries cannot block the server', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startControlCenter()
  })
  afterAll(() => t.close())

  it('GET /audit/logs?resource=*a*a*a*b over long planted entries answers quickly, and /health stays responsive', async () => {
    for (let i = 0; i < 20; i++) {
      await t.server.audit.record({ user_id: null, username: null, action: 'planted', resource: 'a'.repeat(500), result: 'failure', details: {}, ip: null })
    }
    const started = performance.now()
    const [query, health] = await Promise.all([
      t.api('GET', `/audit/logs?resource=${encodeURIComponent('*a*a*a*a*a*b')}`, { token: t.adminToken }),
      (async () => {
        // Sent while the query runs: a blocked event loop would hold it back too.
        await new Promise((resolve) => setTimeout(resolve, 20))
        const sent = performance.now()
        const answer = await t.api('GET', '/health')
        return { status: answer.status, ms: performance.now() - sent }
      })(),
    ])
    expect(query.status).toBe(200)
    expect(query.body.data).toEqual([])
    expect(performance.now() - started).toBeLessThan(3000)
    expect(health.status).toBe(200)
    expect(health.ms).toBeLessThan(2000)

    const planted = await t.api('GET', `/audit/logs?resource=${encodeURIComponent('*a*a*a*a*a')}&action=planted`, { token: t.adminToken })
    expect(planted.body.data).toHaveLength(20)
  })

  it('a wildcard pattern longer than 200 characters is refused with 400', async () => {
    const answer = await t.api('GET', `/audit/logs?resource=${'*a'.repeat(101)}`, { token: t.adminToken })
    expect(answer.status).toBe(400)
    expectEnvelopeError(answer.body)
  })

  it('policies use the same matcher: a backtracking-prone rule does not stall a request with a long id', async () => {
    const policy = await t.api('POST', '/policies', {
      token: t.adminToken,
      body: { name: 'slow-pattern', rules: [{ effect: 'Deny', resource: `${'*a'.repeat(8)}*b`, action: ['*'] }] },
    })
    expect(policy.status).toBe(201)
    try {
      const started = performance.now()
      const answer = await t.api('GET', `/users/${'a'.repeat(4000)}`, { token: t.adminToken })
      expect(answer.status).toBe(400)
      expect(performance.now() - started).toBeLessThan(2000)
    } finally {
      await t.api('DELETE', `/policies/${policy.body.data.id}`, { token: t.adminToken })
    }
  })
})
