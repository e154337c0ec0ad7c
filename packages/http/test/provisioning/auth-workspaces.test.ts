import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kindOf } from '../../src/workspaces/paths'
import { adminPassword } from '../helpers'
import { expectProvisioningError, startProvisioning, type ProvisioningTest } from './fixtures'

describe('provisioning surface: auth, workspaces, system, permissions and input', () => {
  let t: ProvisioningTest
  let viewer: { id: string; token: string }
  let nobody: { id: string; token: string }

  beforeAll(async () => {
    t = await startProvisioning()
    viewer = await t.userWithToken('vera', ['viewer'])
    nobody = await t.userWithToken('noah', [])
  })
  afterAll(() => t.close())

  it('GET /health answers without a token: status, the package version, uptime', async () => {
    const answer = await t.prov('GET', '/health')
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ status: 'healthy', version: expect.stringMatching(/^\d+\.\d+\.\d+/), uptime_seconds: expect.any(Number) })
    const { version } = await import('../../package.json', { with: { type: 'json' } }).then((module) => module.default)
    expect(answer.body.version).toBe(version)
  })

  it("POST /v1/auth/login answers 002's token, refresh_token and expires_in; the token works on every route", async () => {
    const login = await t.prov('POST', '/v1/auth/login', { body: { username: 'admin', password: adminPassword } })
    expect(login.status).toBe(200)
    expect(Object.keys(login.body).sort()).toEqual(['expires_in', 'refresh_token', 'token'])
    expect(login.body.expires_in).toBeGreaterThan(3500)
    expect(login.body.expires_in).toBeLessThanOrEqual(3600)
    expect((await t.prov('GET', '/v1/workspaces', { token: login.body.token })).status).toBe(200)

    const refreshed = await t.prov('POST', '/v1/auth/refresh', { body: { refresh_token: login.body.refresh_token } })
    expect(refreshed.status).toBe(200)
    expect(Object.keys(refreshed.body).sort()).toEqual(['expires_in', 'refresh_token', 'token'])
    expect(refreshed.body.refresh_token).not.toBe(login.body.refresh_token)
    // Rotated: the old refresh token is spent.
    expectProvisioningError(await t.prov('POST', '/v1/auth/refresh', { body: { refresh_token: login.body.refresh_token } }), 401)
  })

  it("wrong credentials are a 401 in 002's shape; repeated failures lock the account like on control-center", async () => {
    const wrong = await t.prov('POST', '/v1/auth/login', { body: { username: 'admin', password: 'nope' } })
    expectProvisioningError(wrong, 401)
    const locking = await startProvisioning({ lockout: { maxFailures: 2, windowSeconds: 60, lockSeconds: 60 } })
    try {
      await locking.identity.users.create({ username: 'lock-me', password: 'lock-me-password', roles: ['viewer'] })
      for (let i = 0; i < 2; i++) expectProvisioningError(await locking.prov('POST', '/v1/auth/login', { body: { username: 'lock-me', password: 'bad' } }), 401)
      const locked = await locking.prov('POST', '/v1/auth/login', { body: { username: 'lock-me', password: 'lock-me-password' } })
      expect(locked.status).toBeGreaterThanOrEqual(400)
      expect(locked.status).toBeLessThan(500)
      expectProvisioningError(locked, locked.status)
      expect(locked.body.message).toMatch(/lock/i)
    } finally {
      await locking.close()
    }
  })

  it('a control-center token works here; once revoked there (logout) it is refused here', async () => {
    const token = await t.login('vera', 'vera-password')
    expect((await t.prov('GET', '/v1/servers', { token })).status).toBe(200)
    expect((await t.api('POST', '/auth/logout', { token })).status).toBe(200)
    const refused = await t.prov('GET', '/v1/servers', { token })
    expectProvisioningError(refused, 401)
    expectProvisioningError(await t.prov('GET', '/v1/servers'), 401)
  })

  it("workspaces: default exists, create (inside the root only), activate makes it the caller's one active workspace", async () => {
    const listed = await t.prov('GET', '/v1/workspaces', { token: t.adminToken })
    expect(listed.status).toBe(200)
    expect(listed.body).toEqual([{ name: 'default', path: join(t.root, 'default'), active: true, last_used: null }])

    const staging = await t.prov('POST', '/v1/workspaces/create', {
      token: t.adminToken,
      body: { name: 'staging', path: join(t.root, 'envs', 'staging'), activate: false },
    })
    expect(staging.status).toBe(200)
    expect(staging.body).toEqual({ name: 'staging', path: join(t.root, 'envs', 'staging'), active: false, last_used: null })
    expect(await kindOf(join(t.root, 'envs', 'staging'))).toBe('directory')

    const prod = await t.prov('POST', '/v1/workspaces/create', { token: t.adminToken, body: { name: 'production', activate: true } })
    expect(prod.body).toMatchObject({ name: 'production', path: join(t.root, 'production'), active: true })
    const after = await t.prov('GET', '/v1/workspaces', { token: t.adminToken })
    expect(after.body.filter((workspace: any) => workspace.active).map((workspace: any) => workspace.name)).toEqual(['production'])
    // Active per user: the viewer still works on default.
    const theirs = await t.prov('GET', '/v1/workspaces', { token: viewer.token })
    expect(theirs.body.filter((workspace: any) => workspace.active).map((workspace: any) => workspace.name)).toEqual(['default'])

    expectProvisioningError(await t.prov('POST', '/v1/workspaces/create', { token: t.adminToken, body: { name: 'escape', path: '/tmp/escape' } }), 400)
    expectProvisioningError(await t.prov('POST', '/v1/workspaces/create', { token: t.adminToken, body: { name: 'up', path: '../up' } }), 400)
    expectProvisioningError(await t.prov('POST', '/v1/workspaces/create', { token: t.adminToken, body: { name: 'staging' } }), 409)
  })

  it('lists are paged with ?page=&per_page=, Link and X-Total-Count headers', async () => {
    for (const name of ['p-1', 'p-2', 'p-3']) await t.prov('POST', '/v1/workspaces/create', { token: t.adminToken, body: { name } })
    const all = (await t.prov('GET', '/v1/workspaces', { token: t.adminToken })).body.map((workspace: any) => workspace.name)
    const page = await t.prov('GET', '/v1/workspaces?page=2&per_page=2', { token: t.adminToken })
    expect(page.status).toBe(200)
    expect(page.body.map((workspace: any) => workspace.name)).toEqual(all.slice(2, 4))
    expect(page.headers.get('x-total-count')).toBe(String(all.length))
    const last = Math.ceil(all.length / 2)
    expect(page.headers.get('link')).toBe(
      [
        '</v1/workspaces?page=1&per_page=2>; rel="first"',
        '</v1/workspaces?page=1&per_page=2>; rel="prev"',
        '</v1/workspaces?page=3&per_page=2>; rel="next"',
        `</v1/workspaces?page=${last}&per_page=2>; rel="last"`,
      ].join(', '),
    )
    const beyond = await t.prov('GET', '/v1/workspaces?page=99&per_page=2', { token: t.adminToken })
    expect(beyond.body).toEqual([])
  })

  it("GET /v1/metrics counts the engine's tasks and this surface's operations", async () => {
    const answer = await t.prov('GET', '/v1/metrics', { token: t.adminToken })
    expect(answer.status).toBe(200)
    const jobs = await t.engine.jobs.list({ limit: 1 })
    expect(answer.body).toEqual({
      uptime_seconds: expect.any(Number),
      tasks: { total: jobs.total, running: 0 },
      operations: { total: 0, pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0 },
    })
  })

  const protectedRoutes: [method: string, path: string, body: unknown, write: boolean][] = [
    ['GET', '/v1/workspaces', undefined, false],
    ['POST', '/v1/workspaces/create', { name: 'refused' }, true],
    ['GET', '/v1/servers', undefined, false],
    ['POST', '/v1/servers/create', { provider: 'vultr', hostname: 'web-x', plan: 'vc2-1c-1gb', zone: 'ams' }, true],
    ['DELETE', '/v1/servers/srv-1', undefined, true],
    ['GET', '/v1/servers/srv-1/status', undefined, false],
    ['GET', '/v1/taskservs', undefined, false],
    ['POST', '/v1/taskservs/create', { name: 'x', servers: ['a'] }, true],
    ['DELETE', '/v1/taskservs/tsk-1', undefined, true],
    ['POST', '/v1/workflows/submit', { workflow_type: 'cluster_create', parameters: {} }, true],
    ['GET', '/v1/workflows/wf-1', undefined, false],
    ['POST', '/v1/workflows/wf-1/cancel', undefined, true],
    ['GET', '/v1/operations', undefined, false],
    ['GET', '/v1/operations/op-1', undefined, false],
    ['POST', '/v1/operations/op-1/cancel', undefined, true],
    ['GET', '/v1/metrics', undefined, false],
  ]

  it('every protected route refuses a user without its permission (403), and a viewer every write (403)', async () => {
    for (const [method, path, body, write] of protectedRoutes) {
      const refused = await t.prov(method, path, { token: nobody.token, body })
      expectProvisioningError(refused, 403)
      const asViewer = await t.prov(method, path, { token: viewer.token, body })
      if (write) expectProvisioningError(asViewer, 403)
      else expect([200, 404], `${method} ${path}`).toContain(asViewer.status)
    }
  })

  it("bad input on every route is a 400 in 002's shape, never a 5xx", async () => {
    const token = t.adminToken
    const cases: [string, string, unknown][] = [
      ['POST', '/v1/auth/login', { username: 'admin' }],
      ['POST', '/v1/auth/refresh', { token: 'x' }],
      ['GET', '/v1/workspaces?page=0', undefined],
      ['POST', '/v1/workspaces/create', { name: '../x' }],
      ['POST', '/v1/workspaces/create', { name: 'ok', activate: 'yes' }],
      ['GET', '/v1/servers?per_page=5000', undefined],
      ['GET', '/v1/servers?workspace=..', undefined],
      ['POST', '/v1/servers/create', { provider: 'vultr', hostname: 'web 1' }],
      ['POST', '/v1/servers/create', { provider: 'vultr', hostname: 'web-1', check_mode: 'no' }],
      ['POST', '/v1/servers/create', { provider: 'vultr', hostname: 'web-1', unknown: true }],
      ['POST', '/v1/servers/create', { provider: 'nimbus', hostname: 'web-1', plan: 'p', zone: 'z' }],
      ['POST', '/v1/servers/create', { provider: 'vultr', hostname: 'web-1', plan: 'vc2-1c-1gb', zone: 'ams' }],
      ['DELETE', '/v1/servers/srv-1', { force: 'always' }],
      ['DELETE', '/v1/servers/srv-1', { server_id: 'srv-2' }],
      ['GET', '/v1/taskservs?status=sleeping', undefined],
      ['POST', '/v1/taskservs/create', { name: 'x', servers: [] }],
      ['POST', '/v1/taskservs/create', { name: 'x', servers: ['a'], config: [] }],
      ['DELETE', '/v1/taskservs/tsk-1', { taskserv_id: 7 }],
      ['POST', '/v1/workflows/submit', { parameters: {} }],
      ['POST', '/v1/workflows/submit', { workflow_type: 'no_such_type' }],
      ['POST', '/v1/workflows/submit', { workflow_type: 'cluster_create', parameters: { infra: 'x' } }],
      ['GET', '/v1/operations?status=done', undefined],
      ['GET', '/v1/operations?page=-1', undefined],
    ]
    for (const [method, path, body] of cases) {
      const answer = await t.prov(method, path, { token, body })
      expect(answer.status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(answer.body)}`).toBe(400)
      expectProvisioningError(answer, 400)
    }
    const malformed = await t.prov('POST', '/v1/servers/create', { token, rawBody: '{"provider":', headers: { 'content-type': 'application/json' } })
    expectProvisioningError(malformed, 400)
    // Ids that do not exist are 404s.
    for (const [method, path] of [
      ['GET', '/v1/servers/nope/status'],
      ['DELETE', '/v1/servers/nope'],
      ['DELETE', '/v1/taskservs/nope'],
      ['GET', '/v1/workflows/nope'],
      ['POST', '/v1/workflows/nope/cancel'],
      ['GET', '/v1/operations/nope'],
      ['POST', '/v1/operations/nope/cancel'],
    ]) {
      expectProvisioningError(await t.prov(method, path, { token }), 404)
    }
    expectProvisioningError(await t.prov('GET', '/v1/nowhere', { token }), 404)
  })
})

describe('provisioning surface: rate limits', () => {
  let t: ProvisioningTest
  beforeAll(async () => {
    t = await startProvisioning({ rateLimits: { general: 3, auth: 2 } })
  })
  afterAll(() => t.close())

  it("per user: X-RateLimit-* on every answer, then a 429 in 002's shape; another user has their own budget", async () => {
    const other = await t.userWithToken('olga', ['viewer'])
    const answers = []
    for (let i = 0; i < 4; i++) answers.push(await t.prov('GET', '/v1/workspaces', { token: t.adminToken }))
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 429])
    expect(answers.map((answer) => answer.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0', '0'])
    expect(answers[0].headers.get('x-ratelimit-limit')).toBe('3')
    expect(Number(answers[0].headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000)
    expectProvisioningError(answers[3], 429)
    expect(answers[3].body.error).toBe('RATE_LIMITED')
    expect(Number(answers[3].headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await t.prov('GET', '/v1/workspaces', { token: other.token })).status).toBe(200)
  })

  it('per IP: logins from one address share a budget', async () => {
    // userWithToken above spent logins of control-center's auth bucket from this address too.
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await t.prov('POST', '/v1/auth/login', { body: { username: 'admin', password: 'wrong' } })).status)
    expect(statuses).toContain(429)
    const limited = await t.prov('POST', '/v1/auth/login', { body: { username: 'admin', password: adminPassword } })
    expectProvisioningError(limited, 429)
  })
})
