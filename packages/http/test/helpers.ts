import { createEngine, type Engine, type EngineOptions } from '@provisio/engine'
import { createStorage } from 'unstorage'
import { createAuditLog } from '../src/audit'
import { createIdentity, type Identity, type LockoutOptions } from '../src/identity'
import { createPolicyStore } from '../src/policies'
import { createServer, type ProvisioServer, type ServerOptions } from '../src'
import type { RateLimitConfig } from '../src/middleware/rate-limit'

export interface ApiAnswer {
  status: number
  headers: Headers
  body: any
}

export interface RequestOptions {
  token?: string
  body?: unknown
  /** Sent as is, for malformed bodies. */
  rawBody?: string
  headers?: Record<string, string>
}

export interface TestServer {
  server: ProvisioServer
  engine: Engine
  identity: Identity
  base: string
  /** Moves the identity's clock (token expiry) forward. */
  advanceClock: (ms: number) => void
  api: (method: string, path: string, options?: RequestOptions) => Promise<ApiAnswer>
  /** The same as `api`, against another served surface (`apiAt('orchestrator')`). */
  apiAt: (surface: string) => (method: string, path: string, options?: RequestOptions) => Promise<ApiAnswer>
  login: (username: string, password: string) => Promise<string>
  /** Creates a user directly in the store and returns a token for it. */
  userWithToken: (username: string, roles: string[]) => Promise<{ id: string; token: string }>
  adminToken: string
  adminId: string
  close: () => Promise<void>
}

/** A response as tests read it: status, headers, and the body parsed as JSON when it is JSON (else the text). */
export async function answerOf(response: Response): Promise<ApiAnswer> {
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    // Not JSON (documents, downloads, event streams): keep the text.
  }
  return { status: response.status, headers: response.headers, body: parsed }
}

export const adminPassword = 'correct horse battery'

/**
 * A control-center surface on a free loopback port over memory storage, with an administrator.
 * Rate limits are generous unless a test asks for the real ones.
 */
export async function startControlCenter(
  options: { rateLimits?: Partial<RateLimitConfig>; server?: Partial<ServerOptions>; lockout?: LockoutOptions; engine?: Omit<EngineOptions, 'storage'> } = {},
): Promise<TestServer> {
  const storage = createStorage()
  let offset = 0
  const now = () => Date.now() + offset
  const identity = createIdentity({ storage, now, lockout: options.lockout ?? { maxFailures: 50, windowSeconds: 900, lockSeconds: 900 } })
  const engine = createEngine({ ...options.engine, storage })
  await engine.start()
  const server = await createServer({
    engine,
    identity,
    policies: createPolicyStore({ storage, cacheTtlMs: 0 }),
    audit: createAuditLog({ storage }),
    surfaces: ['control-center'],
    ports: { 'control-center': 0 },
    rateLimits: { auth: 10_000, general: 10_000, batch: 10_000, ...options.rateLimits },
    ...options.server,
  })
  const base = server.url('control-center')

  const apiAt =
    (surface: string) =>
    async (method: string, path: string, request: RequestOptions = {}): Promise<ApiAnswer> => {
      const surfaceBase = server.url(surface)
      const headers: Record<string, string> = { ...request.headers }
      if (request.token) headers.authorization = `Bearer ${request.token}`
      let body: string | undefined = request.rawBody
      if (request.body !== undefined) {
        body = JSON.stringify(request.body)
        headers['content-type'] = 'application/json'
      }
      const response = await fetch(`${surfaceBase}${path}`, { method, headers, body })
      return answerOf(response)
    }
  const api = apiAt('control-center')

  const login = async (username: string, password: string) => {
    const answer = await api('POST', '/auth/login', { body: { username, password } })
    if (answer.status !== 200) throw new Error(`login ${username} failed: ${answer.status} ${JSON.stringify(answer.body)}`)
    return answer.body.data.token as string
  }

  const admin = await identity.users.create({ username: 'admin', password: adminPassword, roles: ['admin'], email: 'admin@example.com' })
  const adminToken = await login('admin', adminPassword)

  return {
    server,
    engine,
    identity,
    base,
    advanceClock: (ms) => {
      offset += ms
    },
    api,
    apiAt,
    login,
    userWithToken: async (username, roles) => {
      const user = await identity.users.create({ username, password: `${username}-password`, roles })
      return { id: user.id, token: await login(username, `${username}-password`) }
    },
    adminToken,
    adminId: admin.id,
    close: async () => {
      await server.close({ force: true })
      await engine.stop({ graceMs: 0 })
    },
  }
}

/** The control-center error shape, and nothing else. */
export function expectEnvelopeError(body: unknown): void {
  if (typeof body !== 'object' || body === null) throw new Error(`expected an error object, got ${JSON.stringify(body)}`)
  const keys = Object.keys(body).sort()
  if (keys.join(',') !== 'error,success' || (body as any).success !== false || typeof (body as any).error !== 'string' || (body as any).error === '') {
    throw new Error(`expected {"success": false, "error": "..."}, got ${JSON.stringify(body)}`)
  }
}

/**
 * Control-center and orchestrator on free loopback ports over one engine (memory storage), with
 * an administrator; `orchestrator` calls the orchestrator surface.
 */
export async function startOrchestrator(
  options: Parameters<typeof startControlCenter>[0] = {},
): Promise<TestServer & { orchestrator: TestServer['api']; orchestratorBase: string }> {
  const test = await startControlCenter({
    ...options,
    server: { surfaces: ['control-center', 'orchestrator'], ports: { 'control-center': 0, orchestrator: 0 }, ...options.server },
  })
  return { ...test, orchestrator: test.apiAt('orchestrator'), orchestratorBase: test.server.url('orchestrator') }
}
