import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startControlCenter, type TestServer } from '../helpers'

// Long enough for the burst to fit in one window on a busy machine.
const windowMs = 5000

describe('control-center: anonymous refusals do not flood the audit log', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startControlCenter({ rateLimits: { auth: 50 }, server: { auditRefusalWindowMs: windowMs } })
  })
  afterAll(() => t.close())

  const deniedEntries = async (action: string) => (await t.server.audit.query({ action, result: 'denied', limit: 1000 })).items

  it('a burst of 401s from one client writes its first, and the next window reports how many were left out', async () => {
    const sent = 200
    for (let batch = 0; batch < sent / 50; batch++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => t.api('POST', '/auth/logout')))
      expect(answers.every((answer) => answer.status === 401)).toBe(true)
    }
    const [first] = await deniedEntries('auth.logout')
    expect(await deniedEntries('auth.logout')).toHaveLength(1)

    // The window opened with the first refusal written.
    await new Promise((resolve) => setTimeout(resolve, Date.parse(first.timestamp) + windowMs + 200 - Date.now()))
    expect((await t.api('POST', '/auth/logout')).status).toBe(401)
    const entries = await deniedEntries('auth.logout')
    expect(entries).toHaveLength(2)
    expect(entries[0].details).toMatchObject({ suppressed: sent - 1, status: 401 })
  })

  it('successes and other failures are always written', async () => {
    for (let i = 0; i < 5; i++)
      expect((await t.api('POST', '/users', { token: t.adminToken, body: { username: `burst-${i}`, password: 'password-123' } })).status).toBe(201)
    for (let i = 0; i < 5; i++)
      expect((await t.api('POST', '/users', { token: t.adminToken, body: { username: 'burst-0', password: 'password-123' } })).status).toBe(409)
    const entries = (await t.server.audit.query({ action: 'user.create', limit: 1000 })).items
    expect(entries.filter((entry) => entry.result === 'success')).toHaveLength(5)
    expect(entries.filter((entry) => entry.result === 'failure')).toHaveLength(5)
  })
})

describe('control-center: sampled login refusals', () => {
  let u: TestServer
  beforeAll(async () => {
    // The default one-minute window: the whole burst falls in one.
    u = await startControlCenter({ rateLimits: { auth: 50 } })
  })
  afterAll(() => u.close())

  it('429s are sampled the same way, while the first refusals of each user name stay visible', async () => {
    const tries = await Promise.all(
      Array.from({ length: 80 }, (_, i) => u.api('POST', '/auth/login', { body: { username: i % 2 ? 'admin' : 'someone-else', password: 'wrong password' } })),
    )
    expect(tries.filter((answer) => answer.status === 429).length).toBeGreaterThan(0)
    const entries = await u.server.audit.query({ action: 'auth.login', limit: 1000 })
    const refusals = entries.items.filter((entry) => entry.result === 'denied' || entry.details.status === 429)
    expect(refusals.length).toBeLessThanOrEqual(4)
    expect(refusals.map((entry) => entry.username)).toEqual(expect.arrayContaining(['admin', 'someone-else']))
  })
})
