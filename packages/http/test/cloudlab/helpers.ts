import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEngine, fsStorage, type Engine, type EngineOptions } from '@provisio/engine'
import { createServer, type ProvisioServer } from '../../src'
import type { RateLimitConfig } from '../../src/middleware/rate-limit'
import { cloudlabModule, type CloudlabOptions } from '../../src/surfaces/cloudlab'
import { answerOf } from '../helpers'

export interface Answer {
  status: number
  headers: Headers
  body: any
}

export interface CloudlabRequest {
  /** Bearer token; default the administrator's, `null` sends none. */
  token?: string | null
  /** Sent as JSON. */
  body?: unknown
  /** Sent as is (malformed bodies), with `Content-Type: application/json` unless `headers` say otherwise. */
  rawBody?: string
  /** Sent as multipart (file uploads). */
  form?: FormData
  headers?: Record<string, string>
}

export interface CloudlabServer {
  /** Temporary directory holding the data, `services/` and `inventory_types/` (reusable for a restart). */
  root: string
  servicesDir: string
  inventoryTypesDir: string
  engine: Engine
  server: ProvisioServer
  /** `http://127.0.0.1:<port>` of the cloudlab surface. */
  base: string
  /** The control-center surface served beside it (same identity), for cross-surface checks. */
  controlCenterBase: string
  api: (method: string, path: string, request?: CloudlabRequest) => Promise<Answer>
  /** `POST /api/auth/login`; throws unless it succeeds. */
  login: (username: string, password: string) => Promise<string>
  /** A user holding exactly these CloudLab permissions (through a custom role), logged in. */
  userWith: (username: string, permissions: string[]) => Promise<{ id: string; token: string; password: string }>
  /** The setup user (`admin`, super-admin), unless `setup: false`. */
  adminToken: string
  adminId: string
  /** Stops the server and the engine, keeping `root` for a restart with `startCloudlab({ root })`. */
  stop: () => Promise<void>
  /** `stop`, then removes `root`. */
  close: () => Promise<void>
}

export const adminPassword = 'admin-password-1'
export const vaultPassword = 'vault-secret'

export interface StartCloudlabOptions {
  root?: string
  surface?: Omit<CloudlabOptions, 'servicesDir' | 'inventoryTypesDir'> & Partial<Pick<CloudlabOptions, 'servicesDir' | 'inventoryTypesDir'>>
  engine?: Omit<EngineOptions, 'storage'>
  /** Run first-run setup as `admin` (default true). */
  setup?: boolean
  rateLimits?: Partial<RateLimitConfig>
}

/**
 * The cloudlab surface (and control-center beside it) on free loopback ports, over an engine with
 * durable storage in a temporary directory, with `services/` and `inventory_types/` folders there.
 */
export async function startCloudlab(options: StartCloudlabOptions = {}): Promise<CloudlabServer> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'provisio-cloudlab-')))
  const servicesDir = options.surface?.servicesDir ?? join(root, 'services')
  const inventoryTypesDir = options.surface?.inventoryTypesDir ?? join(root, 'inventory_types')
  await mkdir(servicesDir, { recursive: true })
  await mkdir(inventoryTypesDir, { recursive: true })
  const storage = fsStorage({ base: join(root, 'data') })
  const engine = createEngine({ stopGraceMs: 1_000, ...options.engine, storage })
  await engine.start()
  const server = await createServer({
    engine,
    dataDir: root,
    surfaces: [cloudlabModule({ ...options.surface, servicesDir, inventoryTypesDir }), 'control-center'],
    ports: { cloudlab: 0, 'control-center': 0 },
    rateLimits: { auth: 10_000, general: 10_000, batch: 10_000, ...options.rateLimits },
  })
  const base = server.url('cloudlab')
  let adminToken = ''

  const api: CloudlabServer['api'] = async (method, path, request = {}) => {
    const headers: Record<string, string> = {}
    const token = request.token === undefined ? adminToken : request.token
    if (token) headers.authorization = `Bearer ${token}`
    let body: string | FormData | undefined = request.rawBody
    if (request.body !== undefined) body = JSON.stringify(request.body)
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (request.form) body = request.form
    const response = await fetch(`${base}${path}`, { method, headers: { ...headers, ...request.headers }, body })
    return answerOf(response)
  }

  const login = async (username: string, password: string) => {
    const answer = await api('POST', '/api/auth/login', { token: null, body: { username, password } })
    if (answer.status !== 200) throw new Error(`login ${username} failed: ${answer.status} ${JSON.stringify(answer.body)}`)
    return answer.body.access_token as string
  }

  let adminId = ''
  if (options.setup !== false) {
    const setup = await api('POST', '/api/auth/setup', { token: null, body: { username: 'admin', password: adminPassword, vault_password: vaultPassword } })
    if (setup.status === 200) {
      adminToken = setup.body.access_token
      adminId = setup.body.user.id
    } else {
      // A restart over the same root: setup is done already.
      adminToken = await login('admin', adminPassword)
      adminId = (await api('GET', '/api/auth/me')).body.id
    }
  }

  let roles = 0
  const userWith: CloudlabServer['userWith'] = async (username, permissions) => {
    const role = await server.identity.roles.create({ name: `test-role-${++roles}-${username.toLowerCase().replaceAll('_', '-')}`.slice(0, 50), permissions })
    const password = `${username}-password`
    const user = await server.identity.users.create({ username, password, roles: [role.name] })
    return { id: user.id, token: await login(username, password), password }
  }

  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await server.close({ force: true })
    await engine.stop({ graceMs: 0 })
    await storage.dispose()
  }

  return {
    root,
    servicesDir,
    inventoryTypesDir,
    engine,
    server,
    base,
    controlCenterBase: server.url('control-center'),
    api,
    login,
    userWith,
    adminToken,
    adminId,
    stop,
    close: async () => {
      await stop()
      await rm(root, { recursive: true, force: true })
    },
  }
}
