import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEngine, fsStorage, type Engine } from '@provisio/engine'
import { tart, type TartOptions } from '@provisio/adapters'
import { createFakeTart, type FakeTart, type FakeTartOptions } from '@provisio/adapters/testing'
import WebSocket from 'ws'
import { createServer, type ProvisioServer } from '../../src'
import { tartvmModule, type TartvmOptions } from '../../src/surfaces/tartvm'

export const macos = 'ghcr.io/cirruslabs/macos-sequoia-base:latest'

export interface Answer {
  status: number
  headers: Headers
  body: any
}

export interface TartvmServer {
  root: string
  fake: FakeTart
  engine: Engine
  server: ProvisioServer
  base: string
  token: string
  tokenFile: string
  /** A request with the token unless `token` says otherwise (`null`: no header). */
  api: (method: string, path: string, options?: { body?: unknown; rawBody?: string; token?: string | null }) => Promise<Answer>
  /** Polls a task until it is completed or failed. */
  waitTask: (id: string) => Promise<any>
  /** Stops the server and the engine (and its storage), keeping the data and the fake tart for a restart. */
  stop: () => Promise<void>
  close: () => Promise<void>
}

export interface StartOptions {
  root?: string
  fake?: Partial<FakeTartOptions> | FakeTart
  tart?: TartOptions
  surface?: TartvmOptions
}

/**
 * A tartvm surface on a free loopback port, over the fake tart CLI and an engine with durable
 * storage in a temporary directory (`root`, reusable for a restart).
 */
export async function startTartvm(options: StartOptions = {}): Promise<TartvmServer> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'provisio-tartvm-')))
  const fake =
    options.fake && 'bin' in options.fake
      ? options.fake
      : await createFakeTart({ dir: join(root, 'fake'), seed: true, ipAfterMs: 200, pullDurationMs: 300, ...(options.fake as Partial<FakeTartOptions>) })
  const storage = fsStorage({ base: join(root, 'data') })
  const engine = createEngine({
    storage,
    providers: [tart({ binary: fake.bin, vmLogDir: join(root, 'vm-logs'), ipWaitSeconds: 3, stopTimeoutSeconds: 1, killGraceMs: 200, ...options.tart })],
    stopGraceMs: 1_000,
  })
  await engine.start()
  const tokenFile = options.surface?.tokenFile ?? join(root, 'secrets', 'token')
  const server = await createServer({
    engine,
    // No background refresh unless a test asks: what a task changed shows through the refresh after it.
    surfaces: [tartvmModule({ refreshIntervalMs: 60_000, ...options.surface, tokenFile })],
    ports: { tartvm: 0 },
  })
  const base = server.url('tartvm')
  const token = (await readFile(tokenFile, 'utf8')).trim()

  const api: TartvmServer['api'] = async (method, path, request = {}) => {
    const headers: Record<string, string> = {}
    const sent = request.token === undefined ? token : request.token
    if (sent !== null) headers['x-local-token'] = sent
    let body = request.rawBody
    if (request.body !== undefined && method !== 'GET') body = JSON.stringify(request.body)
    if (body !== undefined) headers['content-type'] = 'application/json'
    const response = await fetch(`${base}${path}`, { method, headers, body })
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // Not JSON (the page, static files).
    }
    return { status: response.status, headers: response.headers, body: parsed }
  }

  const waitTask = async (id: string) => {
    const until = Date.now() + 20_000
    for (;;) {
      const { body } = await api('GET', `/api/tasks/${id}`)
      if (body.status === 'completed' || body.status === 'failed') return body
      if (Date.now() > until) throw new Error(`task ${id} still ${body.status}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
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
    fake,
    engine,
    server,
    base,
    token,
    tokenFile,
    api,
    waitTask,
    stop,
    close: async () => {
      await stop()
      await fake.cleanup()
      await rm(root, { recursive: true, force: true })
    },
  }
}

export interface SocketResult {
  frames: string[]
  code: number
  reason: string
}

const taskSocketUrl = (base: string, id: string, token: string | undefined) =>
  `${base.replace(/^http/, 'ws')}/ws/tasks/${encodeURIComponent(id)}${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`

/** Opens `/ws/tasks/{id}` and collects every frame until the server closes it. */
export function watchTask(base: string, id: string, token: string | undefined): Promise<SocketResult> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(taskSocketUrl(base, id, token))
    const frames: string[] = []
    socket.on('message', (data) => frames.push(data.toString()))
    socket.on('close', (code, reason) => resolve({ frames, code, reason: reason.toString() }))
    socket.on('error', reject)
  })
}

export interface Refusal {
  /** Set when the server accepted the socket (the refusal test then fails on it). */
  opened: boolean
  status: number
  body: string
}

/** Tries `/ws/tasks/{id}`, expecting the handshake to be refused: the HTTP answer the server gave instead. */
export function refusedUpgrade(base: string, id: string, token: string | undefined): Promise<Refusal> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(taskSocketUrl(base, id, token))
    socket.on('open', () => {
      socket.terminate()
      resolve({ opened: true, status: 101, body: '' })
    })
    socket.on('unexpected-response', (_request, response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ opened: false, status: response.statusCode ?? 0, body }))
    })
    socket.on('error', reject)
  })
}
