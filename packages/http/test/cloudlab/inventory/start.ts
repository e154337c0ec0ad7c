import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createEngine, fsStorage, type Engine, type Provider } from '@provisio/engine'
import { exec } from '@provisio/adapters'
import { createStorage } from 'unstorage'
import WebSocket from 'ws'
import { createAuditLog, type AuditLog } from '../../../src/audit'
import { createIdentity, type Identity } from '../../../src/identity'
import { createServer, type ProvisioServer } from '../../../src'
import { cloudlabModule } from '../../../src/surfaces/cloudlab'
import { createRoleIds } from '../../../src/surfaces/cloudlab/role-ids'
import { answerOf } from '../../helpers'

export interface ApiAnswer {
  status: number
  body: any
}

export interface InventoryServer {
  server: ProvisioServer
  engine: Engine
  identity: Identity
  audit: AuditLog
  base: string
  /** The temp folder holding `inventory_types/` and `services/`. */
  root: string
  typesDir: string
  servicesDir: string
  api: (method: string, path: string, options?: { token?: string; body?: unknown; rawBody?: string; contentType?: string }) => Promise<ApiAnswer>
  /** A user holding `roles`; roles are made on first use with the given cloudlab permissions. */
  userWithRoles: (username: string, roles: string[]) => Promise<{ id: string; token: string }>
  role: (name: string, permissions: string[]) => Promise<number>
  adminToken: string
  close: () => Promise<void>
}

/** Writes `files` (path relative to `root` → content) into a folder. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), content, { mode: path.endsWith('.sh') ? 0o755 : 0o644 })
  }
}

/**
 * The cloudlab surface on a free loopback port over memory storage, with an inventory-types
 * folder and a services folder in a temp dir, an admin (built-in `admin`, CloudLab's super-admin)
 * and the exec adapter (plus whatever `providers` adds).
 */
export async function startInventory(
  options: {
    files?: Record<string, string>
    providers?: Provider<any>[] /** Reuse a folder (a restart): storage is then the fs data directory in it, kept on close. */
    root?: string
  } = {},
): Promise<InventoryServer> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'provisio-cloudlab-inventory-')))
  const typesDir = join(root, 'inventory_types')
  const servicesDir = join(root, 'services')
  await mkdir(typesDir, { recursive: true })
  await mkdir(servicesDir, { recursive: true })
  await writeTree(root, options.files ?? {})

  const storage = options.root ? fsStorage({ base: join(root, 'data') }) : createStorage()
  const identity = createIdentity({ storage, cacheTtlMs: 0 })
  const audit = createAuditLog({ storage })
  const engine = createEngine({ storage, providers: [exec(), ...(options.providers ?? [])] })
  await engine.start()
  const server = await createServer({
    engine,
    identity,
    audit,
    surfaces: [cloudlabModule({ inventoryTypesDir: typesDir, servicesDir })],
    ports: { cloudlab: 0 },
    rateLimits: { auth: 10_000, general: 10_000, batch: 10_000 },
  })
  const base = server.url('cloudlab')
  const roleIds = createRoleIds(storage)

  const api: InventoryServer['api'] = async (method, path, request = {}) => {
    const headers: Record<string, string> = {}
    if (request.token) headers.authorization = `Bearer ${request.token}`
    let body = request.rawBody
    if (request.body !== undefined) body = JSON.stringify(request.body)
    if (body !== undefined) headers['content-type'] = request.contentType ?? 'application/json'
    const response = await fetch(`${base}${path}`, { method, headers, body })
    // Status and body only: the tests compare whole answers.
    const answer = await answerOf(response)
    return { status: answer.status, body: answer.body }
  }

  const tokenFor = async (username: string) => (await identity.login({ username, password: `${username}-password` })).accessToken
  const role = async (name: string, permissions: string[]) => {
    if (!(await identity.roles.get(name))) await identity.roles.create({ name, permissions })
    return roleIds.idOf(name)
  }

  if (!(await identity.users.getByUsername('admin'))) await identity.users.create({ username: 'admin', password: 'admin-password', roles: ['admin'] })

  return {
    server,
    engine,
    identity,
    audit,
    base,
    root,
    typesDir,
    servicesDir,
    api,
    role,
    userWithRoles: async (username, roles) => {
      const user = await identity.users.create({ username, password: `${username}-password`, roles })
      return { id: user.id, token: await tokenFor(username) }
    },
    adminToken: await tokenFor('admin'),
    close: async () => {
      await server.close({ force: true })
      await engine.stop({ graceMs: 0 })
      await storage.dispose()
      if (!options.root) await rm(root, { recursive: true, force: true })
    },
  }
}

export interface SocketRun {
  messages: any[]
  code: number
  reason: string
}

/** Connects, sends `send` once open, and collects JSON messages until the server closes. */
export function runSocket(url: string, options: { send?: (socket: WebSocket, message: any) => void; timeoutMs?: number } = {}): Promise<SocketRun> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    const messages: any[] = []
    const timer = setTimeout(() => {
      socket.terminate()
      reject(new Error(`no close within ${options.timeoutMs ?? 10_000} ms; got ${JSON.stringify(messages)}`))
    }, options.timeoutMs ?? 10_000)
    socket.on('message', (data) => {
      const message = JSON.parse(String(data))
      messages.push(message)
      options.send?.(socket, message)
    })
    socket.on('unexpected-response', (_request, response) => {
      clearTimeout(timer)
      resolve({ messages, code: response.statusCode ?? 0, reason: 'http' })
    })
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on('close', (code, reason) => {
      clearTimeout(timer)
      resolve({ messages, code, reason: String(reason) })
    })
  })
}

export interface Refusal {
  /** Set when the server accepted the socket (a refusal test then fails on it). */
  opened: boolean
  status: number
  body: any
}

/** Connects expecting the handshake to be refused: the HTTP answer the server gave instead of 101. */
export function refusedSocket(url: string): Promise<Refusal> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    socket.on('open', () => {
      socket.terminate()
      resolve({ opened: true, status: 101, body: undefined })
    })
    socket.on('unexpected-response', (_request, response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (text += chunk))
      response.on('end', () => resolve({ opened: false, status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }))
    })
    socket.on('error', reject)
  })
}

export const wsUrl = (base: string, path: string) => base.replace(/^http/, 'ws') + path
