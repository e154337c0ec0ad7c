import { createEngine, type Engine } from '@provisio/engine'
import { createStorage } from 'unstorage'
import WebSocket from 'ws'
import { z } from 'zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, defineRoute, envelopeStyle, fastapiStyle, provisioningStyle, type ProvisioServer, type SurfaceDeps, type SurfaceModule } from '../../src'
import { createIdentity, type Identity } from '../../src/identity'
import { adminPassword, expectEnvelopeError, startControlCenter, type TestServer } from '../helpers'

const rateLimitHeaders = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']

function expectRateLimitHeaders(headers: Headers): void {
  for (const name of rateLimitHeaders) expect(headers.get(name), name).toMatch(/^\d+$/)
}

describe('platform: control-center answers', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startControlCenter()
  })
  afterAll(() => t.close())

  it('an unknown route is 404 in the surface error shape, with rate-limit headers and a request id', async () => {
    const answer = await t.api('GET', '/no/such/route')
    expect(answer.status).toBe(404)
    expectEnvelopeError(answer.body)
    expectRateLimitHeaders(answer.headers)
    expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect((await t.api('GET', '/')).status).toBe(404)
  })

  it('a known path with a wrong method is 405 with Allow, in the error shape', async () => {
    const answer = await t.api('PATCH', '/users', { token: t.adminToken })
    expect(answer.status).toBe(405)
    expectEnvelopeError(answer.body)
    expect(answer.headers.get('allow')).toBe('GET, POST, HEAD')
    expectRateLimitHeaders(answer.headers)
    const put = await t.api('POST', `/users/${t.adminId}`, { token: t.adminToken })
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('GET, PUT, DELETE, HEAD')
  })

  it('Accept: application/vnd.provisioning.v1+json is served; another version is 406 in the error shape', async () => {
    const v1 = await t.api('GET', '/users', { token: t.adminToken, headers: { accept: 'application/vnd.provisioning.v1+json' } })
    expect(v1.status).toBe(200)
    const v2 = await t.api('GET', '/users', { token: t.adminToken, headers: { accept: 'application/vnd.provisioning.v2+json' } })
    expect(v2.status).toBe(406)
    expectEnvelopeError(v2.body)
    expect(v2.body.error).toContain('v2')
    expectRateLimitHeaders(v2.headers)
    expect((await t.api('GET', '/health', { headers: { accept: 'application/json' } })).status).toBe(200)
  })

  it('every kind of answer carries X-RateLimit-Limit/Remaining/Reset', async () => {
    const answers = await Promise.all([
      t.api('GET', '/health'),
      t.api('GET', '/users'),
      t.api('GET', '/users', { token: t.adminToken }),
      t.api('POST', '/users', { token: t.adminToken, body: {} }),
      t.api('GET', '/openapi.json'),
      t.api('GET', '/docs'),
      t.api('POST', '/auth/login', { body: { username: 'admin', password: adminPassword } }),
    ])
    for (const answer of answers) expectRateLimitHeaders(answer.headers)
    const reset = Number(answers[2].headers.get('x-ratelimit-reset'))
    expect(reset).toBeGreaterThan(Date.now() / 1000)
    expect(reset).toBeLessThanOrEqual(Date.now() / 1000 + 61)
  })

  it('a caller X-Request-Id is kept; a hostile one is replaced', async () => {
    expect((await t.api('GET', '/health', { headers: { 'x-request-id': 'trace-123' } })).headers.get('x-request-id')).toBe('trace-123')
    const replaced = (await t.api('GET', '/health', { headers: { 'x-request-id': 'bad id <script>' } })).headers.get('x-request-id')
    expect(replaced).not.toContain('script')
  })

  it('CORS is off by default', async () => {
    const answer = await t.api('GET', '/health', { headers: { origin: 'https://example.com' } })
    expect(answer.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('routes contributed by engine plugins are not there unless added', async () => {
    expect((await t.api('GET', '/plugin/ping', { token: t.adminToken })).status).toBe(404)
  })
})

describe('platform: rate limits (004 defaults)', () => {
  let server: ProvisioServer
  let engine: Engine
  let base: string
  beforeAll(async () => {
    const storage = createStorage()
    const identity = createIdentity({ storage, lockout: { maxFailures: 100, windowSeconds: 60, lockSeconds: 60 } })
    await identity.users.create({ username: 'admin', password: adminPassword, roles: ['admin'] })
    await identity.users.create({ username: 'other', password: adminPassword, roles: ['viewer'] })
    engine = createEngine({ storage })
    await engine.start()
    server = await createServer({ engine, identity, surfaces: ['control-center'], ports: { 'control-center': 0 }, rateLimits: { general: 3 } })
    base = server.url('control-center')
  })
  afterAll(async () => {
    await server.close({ force: true })
    await engine.stop({ graceMs: 0 })
  })

  const login = (username: string) =>
    fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: adminPassword }),
    })

  it('the 6th login in a minute from one IP is 429 with Retry-After and X-RateLimit-* headers', async () => {
    const answers = []
    for (let i = 0; i < 5; i++) answers.push(await login(i % 2 ? 'other' : 'admin'))
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200])
    expect(answers.map((answer) => answer.headers.get('x-ratelimit-remaining'))).toEqual(['4', '3', '2', '1', '0'])
    expect(answers[0].headers.get('x-ratelimit-limit')).toBe('5')

    const sixth = await login('admin')
    expect(sixth.status).toBe(429)
    expectEnvelopeError(await sixth.json())
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(Number(sixth.headers.get('retry-after'))).toBeLessThanOrEqual(60)
    expect(sixth.headers.get('x-ratelimit-limit')).toBe('5')
    expect(sixth.headers.get('x-ratelimit-remaining')).toBe('0')
    expectRateLimitHeaders(sixth.headers)
  })

  it('the general limit counts per user: one user at the limit does not block another', async () => {
    const tokens = await Promise.all(
      ['admin', 'other'].map(async (username) => {
        const pair = await server.identity.login({ username, password: adminPassword })
        return pair.accessToken
      }),
    )
    const get = (token: string) => fetch(`${base}/roles`, { headers: { authorization: `Bearer ${token}` } })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await get(tokens[0])).status)
    expect(statuses).toEqual([200, 200, 200, 429])
    const limited = await get(tokens[0])
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/)
    expect((await get(tokens[1])).status).toBe(403)
  })
})

/** An engine and an identity over one memory storage, with an administrator and their access token. */
async function engineWithAdmin(prepare?: (engine: Engine) => void): Promise<{ engine: Engine; identity: Identity; token: string }> {
  const storage = createStorage()
  const engine = createEngine({ storage })
  prepare?.(engine)
  await engine.start()
  const identity = createIdentity({ storage })
  await identity.users.create({ username: 'admin', password: adminPassword, roles: ['admin'] })
  const token = (await identity.login({ username: 'admin', password: adminPassword })).accessToken
  return { engine, identity, token }
}

/** A surface written only for these tests: one of each error style, a failing route and a WebSocket. */
function testSurface(name: string, style: typeof envelopeStyle): SurfaceModule<SurfaceDeps> {
  return {
    name,
    defaultPort: 0,
    create: () => ({
      name,
      title: `${name} test surface`,
      version: '0.0.1',
      style,
      auth: false,
      policies: false,
      routes: [
        defineRoute({
          method: 'POST',
          path: '/items/:id',
          summary: 'Echo a validated item',
          params: z.object({ id: z.coerce.number().int() }),
          body: z.object({ name: z.string() }),
          handler: ({ params, body }) => ({ id: params.id, name: body.name }),
        }),
        defineRoute({
          method: 'GET',
          path: '/boom',
          summary: 'Fails unexpectedly',
          handler: () => {
            throw new Error('secret internals')
          },
        }),
        defineRoute({
          method: 'GET',
          path: '/private',
          summary: 'Needs a token',
          auth: true,
          handler: ({ principal }) => ({ user: principal?.username }),
        }),
      ],
      websockets: [
        {
          path: '/ws',
          summary: 'Echo, for authenticated callers',
          auth: true,
          hooks: (_event, principal) => ({
            open: (peer) => {
              peer.send(JSON.stringify({ hello: principal?.username }))
            },
            message: (peer, message) => {
              peer.send(message.text())
            },
          }),
        },
      ],
    }),
  }
}

describe('platform: error styles, websockets, plugins and CORS through createServer', () => {
  let server: ProvisioServer
  let engine: Engine
  let token: string
  const errors: unknown[] = []
  beforeAll(async () => {
    const started = await engineWithAdmin((engine) =>
      engine.addRoute({ method: 'GET', path: '/plugin/ping', surfaces: ['fastapi-test'], handler: () => Response.json({ pong: true }) }),
    )
    ;({ engine, token } = started)
    server = await createServer({
      engine,
      identity: started.identity,
      surfaces: [testSurface('fastapi-test', fastapiStyle), testSurface('provisioning-test', provisioningStyle), testSurface('envelope-test', envelopeStyle)],
      ports: { 'fastapi-test': 0, 'provisioning-test': 0, 'envelope-test': 0 },
      cors: { origins: ['https://console.example.com'] },
      onUnexpectedError: (error) => errors.push(error),
    })
  })
  afterAll(async () => {
    await server.close({ force: true })
    await engine.stop({ graceMs: 0 })
  })

  const call = async (surface: string, method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.url(surface)}${path}`, { method, body, headers: { 'content-type': 'application/json', ...headers } })
    return { status: response.status, headers: response.headers, body: (await response.json().catch(() => undefined)) as any }
  }

  it('fastapi style: validation is 422 with detail [{loc, msg, type}]; other errors {"detail": "..."}', async () => {
    const ok = await call('fastapi-test', 'POST', '/items/7', JSON.stringify({ name: 'a' }))
    expect(ok).toMatchObject({ status: 200, body: { id: 7, name: 'a' } })
    const invalid = await call('fastapi-test', 'POST', '/items/7', JSON.stringify({ name: 3 }))
    expect(invalid.status).toBe(422)
    expect(invalid.body).toEqual({ detail: [{ loc: ['body', 'name'], msg: expect.any(String), type: 'invalid_type' }] })
    const badPath = await call('fastapi-test', 'POST', '/items/seven', JSON.stringify({ name: 'a' }))
    expect(badPath.status).toBe(422)
    expect(badPath.body.detail[0].loc).toEqual(['params', 'id'])
    const missing = await call('fastapi-test', 'GET', '/nothing')
    expect(missing).toMatchObject({ status: 404, body: { detail: expect.any(String) } })
    const malformed = await call('fastapi-test', 'POST', '/items/1', '{')
    expect(malformed.status).toBe(400)
    expect(Object.keys(malformed.body)).toEqual(['detail'])
  })

  it('provisioning style: {"error": "CODE", "message": "...", "code": "400"}', async () => {
    const invalid = await call('provisioning-test', 'POST', '/items/7', JSON.stringify({}))
    expect(invalid.status).toBe(400)
    expect(invalid.body).toEqual({ error: 'VALIDATION_FAILED', message: expect.stringContaining('body.name'), code: '400' })
    const unauthorized = await call('provisioning-test', 'GET', '/private')
    expect(unauthorized.body).toEqual({ error: 'UNAUTHORIZED', message: expect.any(String), code: '401' })
    const wrongMethod = await call('provisioning-test', 'DELETE', '/boom')
    expect(wrongMethod.body).toMatchObject({ error: 'METHOD_NOT_ALLOWED', code: '405' })
  })

  it('an unexpected error is a 500 in the style that does not leak its message, and is reported', async () => {
    for (const surface of ['fastapi-test', 'provisioning-test', 'envelope-test']) {
      const answer = await call(surface, 'GET', '/boom')
      expect(answer.status).toBe(500)
      expect(JSON.stringify(answer.body)).not.toContain('secret internals')
      expectRateLimitHeaders(answer.headers)
    }
    expect((await call('envelope-test', 'GET', '/boom')).body).toEqual({ success: false, error: 'Internal server error' })
    expect(errors.some((error) => (error as Error).message === 'secret internals')).toBe(true)
  })

  it('per-route authentication on a surface that is open by default', async () => {
    expect((await call('envelope-test', 'GET', '/private')).status).toBe(401)
    const answer = await call('envelope-test', 'GET', '/private', undefined, { authorization: `Bearer ${token}` })
    expect(answer.body).toEqual({ success: true, data: { user: 'admin' } })
  })

  it('WebSocket routes upgrade through crossws, with the token checked first', async () => {
    const url = `${server.url('fastapi-test').replace('http', 'ws')}/ws`
    const socket = new WebSocket(`${url}?token=${token}`)
    const messages: string[] = []
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        messages.push(String(data))
        if (messages.length === 1) socket.send('echo me')
        if (messages.length === 2) resolve()
      })
      socket.on('error', reject)
    })
    socket.close()
    expect(messages).toEqual([JSON.stringify({ hello: 'admin' }), 'echo me'])

    const refused = new WebSocket(url)
    const outcome = await new Promise<string>((resolve) => {
      refused.on('open', () => resolve('open'))
      refused.on('unexpected-response', (_request, response) => resolve(`status ${response.statusCode}`))
      refused.on('error', () => resolve('error'))
    })
    refused.terminate()
    expect(outcome).toBe('status 401')
  })

  it('OpenAPI lists every registered route of these surfaces too, WebSocket and plugin routes included', async () => {
    for (const surface of server.surfaces) {
      const document = (await (await fetch(`${surface.url}/openapi.json`)).json()) as any
      const documented = Object.entries(document.paths as Record<string, object>).flatMap(([path, operations]) =>
        Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`),
      )
      const registered = surface.app['~routes']
        .filter((route) => route.method && route.method !== 'HEAD' && route.route !== '/**')
        .map((route) => `${route.method} ${route.route!.replace(/:(\w+)/g, '{$1}')}`)
      expect(documented.sort(), surface.name).toEqual([...new Set(registered)].sort())
    }
  })

  it('plugin routes are mounted on the surfaces they name only', async () => {
    expect(await call('fastapi-test', 'GET', '/plugin/ping')).toMatchObject({ status: 200, body: { pong: true } })
    expect((await call('provisioning-test', 'GET', '/plugin/ping')).status).toBe(404)
  })

  it('configured CORS origins get CORS headers and preflight answers; others do not', async () => {
    const allowed = await call('envelope-test', 'POST', '/items/1', JSON.stringify({ name: 'x' }), { origin: 'https://console.example.com' })
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.example.com')
    const other = await call('envelope-test', 'POST', '/items/1', JSON.stringify({ name: 'x' }), { origin: 'https://evil.example.com' })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    const preflight = await fetch(`${server.url('envelope-test')}/items/1`, {
      method: 'OPTIONS',
      headers: { origin: 'https://console.example.com', 'access-control-request-method': 'POST' },
    })
    expect(preflight.status).toBeLessThan(300)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')
  })
})

describe('platform: WebSocket upgrades spend the rate-limit budget', () => {
  let server: ProvisioServer
  let engine: Engine
  let token: string
  beforeAll(async () => {
    const started = await engineWithAdmin()
    ;({ engine, token } = started)
    server = await createServer({
      engine,
      identity: started.identity,
      surfaces: [testSurface('ws-test', fastapiStyle)],
      ports: { 'ws-test': 0 },
      rateLimits: { general: 2 },
    })
  })
  afterAll(async () => {
    await server.close({ force: true })
    await engine.stop({ graceMs: 0 })
  })

  /** Opens the socket and says how the upgrade ended: `open`, or the refusal's status and headers. */
  const upgrade = (url: string) =>
    new Promise<{ outcome: string; headers?: Record<string, unknown> }>((resolve) => {
      const socket = new WebSocket(url)
      socket.on('open', () => {
        socket.close()
        resolve({ outcome: 'open' })
      })
      socket.on('unexpected-response', (_request, response) => {
        resolve({ outcome: `status ${response.statusCode}`, headers: response.headers })
        socket.terminate()
      })
      socket.on('error', () => resolve({ outcome: 'error' }))
    })

  it('the upgrade past the budget is refused with 429 and Retry-After', async () => {
    const url = `${server.url('ws-test').replace('http', 'ws')}/ws?token=${token}`
    expect((await upgrade(url)).outcome).toBe('open')
    expect((await upgrade(url)).outcome).toBe('open')
    const refused = await upgrade(url)
    expect(refused.outcome).toBe('status 429')
    expect(refused.headers?.['retry-after']).toMatch(/^\d+$/)
    expect(refused.headers?.['x-ratelimit-remaining']).toBe('0')
  })
})
