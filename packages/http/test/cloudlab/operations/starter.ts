import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ansible, exec, vultr } from '@provisio/adapters'
import { startVultrStandIn, type VultrStandIn } from '@provisio/adapters/testing'
import { createEngine, fsStorage, type Engine, type JobRecord } from '@provisio/engine'
import { createStorage, type Storage } from 'unstorage'
import { createAuditLog } from '../../../src/audit'
import { createIdentity, type Identity } from '../../../src/identity'
import { createPolicyStore } from '../../../src/policies'
import { createServer, type ProvisioServer } from '../../../src'
import { cloudlabModule } from '../../../src/surfaces/cloudlab'
import type { CloudlabVault } from '../../../src/surfaces/cloudlab/context'
import { cloudlabJobs, useCloudlabProvider } from '../../../src/surfaces/cloudlab/operations/provider'
import { answerOf } from '../../helpers'

export interface Answer {
  status: number
  headers: Headers
  body: any
}

export interface CallOptions {
  token?: string
  body?: unknown
  /** Sent as is (multipart, malformed JSON), with `headers` for its type. */
  rawBody?: RequestInit['body']
  headers?: Record<string, string>
}

/** Roles the tests log in with, in canonical permissions (the cloudlab codenames map to these). */
const roles: Record<string, string[]> = {
  // Deploys and sees its own jobs, nothing else.
  deployer: ['services:read', 'services:deploy', 'jobs:read_own'],
  // Holds no cloudlab permission at all.
  outsider: ['workflows:read'],
  // Reads everything, changes nothing.
  reader: ['services:read', 'services:config_read', 'services:files_read', 'jobs:read', 'servers:read', 'costs:read'],
}

export interface CloudlabTest {
  server: ProvisioServer
  base: string
  engine: Engine
  identity: Identity
  servicesDir: string
  vultr: VultrStandIn
  tokens: { admin: string; deployer: string; outsider: string; reader: string; deployer2: string }
  userIds: Record<string, string>
  call: (method: string, path: string, options?: CallOptions) => Promise<Answer>
  /** Polls a cloudlab job until it is no longer running. */
  finished: (jobId: string, token?: string) => Promise<any>
  /** The engine record behind a cloudlab job id. */
  record: (jobId: string) => Promise<JobRecord>
  /** Stops the server and the engine (the data directory stays for a restart). */
  stop: () => Promise<void>
  /** Stops everything and removes the services folder (a test gives temporary ones). */
  close: () => Promise<void>
}

export interface StartOptions {
  /** A data directory for fs storage (engine and identity), to restart over; memory storage when omitted. */
  dataDir?: string
  servicesDir?: string
  vultr?: VultrStandIn
  vault?: CloudlabVault
  /** Registers the cloudlab provider as an engine plugin (as `provisio serve` does) and runs one job at a time. */
  jobsPlugin?: boolean
  /** Serves the orchestrator surface beside cloudlab, over the same engine. */
  withOrchestrator?: boolean
  /** Leaves the vultr provider out, as a server without credentials does. */
  withoutVultr?: boolean
}

/** A services folder as an existing CloudLab Manager keeps it. */
export function writeServices(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path)
    mkdirSync(dirname(full), { recursive: true })
    writeFileSync(full, content)
    if (path.endsWith('.sh')) chmodSync(full, 0o755)
  }
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `provisio-cloudlab-${prefix}-`))

/**
 * The cloudlab surface on a free loopback port over a real engine (exec, ansible, and vultr
 * against the Vultr stand-in), with an administrator and the users of `roles`; tokens come from
 * the identity directly.
 */
export async function startCloudlab(options: StartOptions = {}): Promise<CloudlabTest> {
  const storage: Storage = options.dataDir ? fsStorage({ base: options.dataDir }) : createStorage()
  const servicesDir = options.servicesDir ?? tempDir('services')
  const standIn = options.vultr ?? (await startVultrStandIn({ apiKey: 'test-key', port: 0, host: '127.0.0.1', readyAfterMs: 0, powerDelayMs: 0 }))
  const engine = createEngine({
    storage,
    providers: [exec(), ansible(), ...(options.withoutVultr ? [] : [vultr({ apiKey: 'test-key', baseUrl: standIn.apiUrl, pollIntervalMs: 50 })])],
    stopGraceMs: 0,
    ...(options.jobsPlugin ? { plugins: [cloudlabJobs()], concurrency: 1 } : {}),
  })
  await engine.start()
  const identity = createIdentity({ storage, lockout: { maxFailures: 50, windowSeconds: 900, lockSeconds: 900 } })
  const server: ProvisioServer = await createServer({
    engine,
    identity,
    policies: createPolicyStore({ storage, cacheTtlMs: 0 }),
    audit: createAuditLog({ storage }),
    surfaces: [cloudlabModule({ servicesDir }), ...(options.withOrchestrator ? ['orchestrator'] : [])],
    ports: { cloudlab: 0, orchestrator: 0 },
    rateLimits: { auth: 10_000, general: 10_000, batch: 10_000 },
  })
  if (options.vault) useCloudlabProvider(engine, options.vault)
  const base = server.url('cloudlab')

  for (const [name, permissions] of Object.entries(roles)) {
    if (!(await identity.roles.get(name))) await identity.roles.create({ name, permissions })
  }
  const userIds: Record<string, string> = {}
  const token = async (username: string, role: string) => {
    const password = `${username}-password-1`
    const existing = await identity.users.getByUsername(username)
    const user = existing ?? (await identity.users.create({ username, password, roles: [role] }))
    userIds[username] = user.id
    return (await identity.login({ username, password })).accessToken
  }
  const tokens = {
    admin: await token('admin', 'admin'),
    deployer: await token('deployer', 'deployer'),
    deployer2: await token('deployer2', 'deployer'),
    outsider: await token('outsider', 'outsider'),
    reader: await token('reader', 'reader'),
  }

  const call = async (method: string, path: string, request: CallOptions = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...request.headers }
    const bearer = request.token === undefined ? tokens.admin : request.token
    if (bearer) headers.authorization = `Bearer ${bearer}`
    let body: RequestInit['body'] | undefined = request.rawBody
    if (request.body !== undefined) {
      body = JSON.stringify(request.body)
      headers['content-type'] = 'application/json'
    }
    const response = await fetch(`${base}${path}`, { method, headers, body })
    return answerOf(response)
  }

  const finished = async (jobId: string, bearer = tokens.admin) => {
    for (let attempt = 0; attempt < 400; attempt++) {
      const answer = await call('GET', `/api/jobs/${jobId}`, { token: bearer })
      if (answer.status !== 200) throw new Error(`job ${jobId}: ${answer.status} ${JSON.stringify(answer.body)}`)
      if (answer.body.status !== 'running') return answer.body
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    throw new Error(`job ${jobId} still running`)
  }

  const record = async (jobId: string) => {
    const page = await engine.jobs.list({ label: { 'cloudlab.job': jobId }, limit: 1 })
    if (!page.items[0]) throw new Error(`no engine job for ${jobId}`)
    return page.items[0]
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
    server,
    base,
    engine,
    identity,
    servicesDir,
    vultr: standIn,
    tokens,
    userIds,
    call,
    finished,
    record,
    stop,
    close: async () => {
      await stop()
      if (!options.vultr) await standIn.close()
      rmSync(servicesDir, { recursive: true, force: true })
    },
  }
}

/** Every error body of the surface: FastAPI's `{"detail": ...}` and nothing else. */
export function expectDetail(answer: Answer, status: number, detail?: string | RegExp): void {
  const ok = answer.status === status && typeof answer.body === 'object' && answer.body !== null && Object.keys(answer.body).join() === 'detail'
  const text = typeof answer.body?.detail === 'string' ? answer.body.detail : JSON.stringify(answer.body?.detail)
  const matches = detail === undefined || (typeof detail === 'string' ? text === detail : detail.test(text))
  if (!ok || !matches) throw new Error(`expected ${status} {"detail": ${detail ?? '...'}}, got ${answer.status} ${JSON.stringify(answer.body)}`)
}
