import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectEnvelopeError, startControlCenter, type TestServer } from '../helpers'

const denyAll = { name: 'deny-all', rules: [{ effect: 'Deny', resource: '*', action: ['*'] }] }

describe('control-center: a policy cannot lock its author out of policies by accident', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startControlCenter()
  })
  afterAll(() => t.close())

  it('POST /policies with a deny-all is refused (409) and nothing is stored; the admin keeps access', async () => {
    const answer = await t.api('POST', '/policies', { token: t.adminToken, body: denyAll })
    expect(answer.status).toBe(409)
    expectEnvelopeError(answer.body)
    expect(answer.body.error).toMatch(/force=true/)
    const list = await t.api('GET', '/policies', { token: t.adminToken })
    expect(list.status).toBe(200)
    expect(list.body.data).toEqual([])
  })

  it('PUT that turns a harmless policy into a lock-out, or enables a disabled deny-all, is refused', async () => {
    const harmless = await t.api('POST', '/policies', {
      token: t.adminToken,
      body: { name: 'harmless', rules: [{ effect: 'Deny', resource: 'servers:*', action: ['delete'] }] },
    })
    expect(harmless.status).toBe(201)
    const id = harmless.body.data.id
    expect((await t.api('PUT', `/policies/${id}`, { token: t.adminToken, body: { rules: denyAll.rules } })).status).toBe(409)
    expect(
      (await t.api('PUT', `/policies/${id}`, { token: t.adminToken, body: { rules: [{ effect: 'Deny', resource: 'policies:*', action: ['update'] }] } }))
        .status,
    ).toBe(409)

    const dormant = await t.api('POST', '/policies', { token: t.adminToken, body: { ...denyAll, enabled: false } })
    expect(dormant.status).toBe(201)
    expect((await t.api('PUT', `/policies/${dormant.body.data.id}`, { token: t.adminToken, body: { enabled: true } })).status).toBe(409)
    expect((await t.api('GET', '/users', { token: t.adminToken })).status).toBe(200)
    await t.api('DELETE', `/policies/${dormant.body.data.id}`, { token: t.adminToken })
    await t.api('DELETE', `/policies/${id}`, { token: t.adminToken })
  })

  it('a deny that spares its author (a condition) is accepted', async () => {
    const scoped = await t.api('POST', '/policies', {
      token: t.adminToken,
      body: { name: 'deny-others', rules: [{ effect: 'Deny', resource: '*', action: ['*'], condition: "user.username != 'admin'" }] },
    })
    expect(scoped.status).toBe(201)
    await t.api('DELETE', `/policies/${scoped.body.data.id}`, { token: t.adminToken })
  })

  it('?force=true applies it anyway, and then even the admin is denied', async () => {
    const forced = await t.api('POST', '/policies?force=true', { token: t.adminToken, body: denyAll })
    expect(forced.status).toBe(201)
    const denied = await t.api('GET', '/policies', { token: t.adminToken })
    expect(denied.status).toBe(403)
    expect((await t.api('PUT', `/policies/${forced.body.data.id}`, { token: t.adminToken, body: { enabled: false } })).status).toBe(403)
    // Only the break-glass path (the data directory) gets out of this: here the test's own store.
    await t.server.policies.update(forced.body.data.id, { enabled: false })
    expect((await t.api('GET', '/policies', { token: t.adminToken })).status).toBe(200)
  })
})
