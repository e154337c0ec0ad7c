import { createServer, type Server } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Redis from 'ioredis'
import WebSocket from 'ws'
import { createStorage } from 'unstorage'
import redisDriver from 'unstorage/drivers/redis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { every } from '@provisio/plugins'
import { createIdentity } from '../../packages/http/src/identity'
import { identityKeys } from '../../packages/http/src/identity/keys'
import { createLockout } from '../../packages/http/src/identity/lockout'
import { createRateLimits } from '../../packages/http/src/middleware/rate-limit'
import { createSessions } from '../../packages/http/src/identity/sessions'
import { freePort, startRedis } from '../helpers/redis'
import { startServeNode, type ServeNode } from '../helpers/serve-node'
import { describeWithTool } from '../helpers/system-tools'

const adminPassword = 'correct horse battery'

type Node = ServeNode

/** A node with the surfaces these tests use, one proxy hop trusted, quick heartbeats and a small login budget. */
function startNode(id: string, redisUrl: string, configFile: string, env: Record<string, string> = {}): Promise<Node> {
  return startServeNode({
    id,
    redisUrl,
    surfaces: ['control-center', 'orchestrator'],
    args: ['--config', configFile, '--trust-proxy', '1'],
    env: { PROVISIO_HEARTBEAT_MS: '300', PROVISIO_RATE_LIMIT_AUTH: '4', ...env },
  })
}

const json = { 'content-type': 'application/json' }

/** A login from `ip` (the node trusts one proxy hop, so X-Forwarded-For names the client). */
function login(node: Node, username: string, password: string, ip: string) {
  return fetch(`${node.urls['control-center']}/auth/login`, {
    method: 'POST',
    headers: { ...json, 'x-forwarded-for': ip },
    body: JSON.stringify({ username, password }),
  })
}

async function tokenOf(response: Response): Promise<string> {
  expect(response.status).toBe(200)
  return ((await response.json()) as { data: { token: string } }).data.token
}

interface Health {
  data: { components: Record<string, string>; details: { node: string; nodes: Array<{ id: string; pid: number; surfaces: string[] }>; queue: unknown } }
}

async function nodeIds(node: Node, token: string): Promise<string[]> {
  const answer = await fetch(`${node.urls.orchestrator}/state/system/health`, { headers: { authorization: `Bearer ${token}` } })
  expect(answer.status).toBe(200)
  return ((await answer.json()) as Health).data.details.nodes.map((entry) => entry.id)
}

describeWithTool('redis-server')('several provisio serve nodes on one redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  let client: Redis
  let receiver: Server
  /** Delivery ids the webhook receiver got, one entry per request. */
  const received: string[] = []
  let a: Node
  let b: Node
  let adminToken: string
  let configDir: string

  beforeAll(async () => {
    redis = await startRedis()
    client = new Redis(redis.url)
    // Slower than a sweep period, so that another node sweeps while a delivery is still being sent.
    receiver = createServer((request, response) => {
      received.push(String(request.headers['x-provisio-delivery']))
      request.resume()
      request.on('end', () => setTimeout(() => response.end('ok'), 1_000))
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    const { port } = receiver.address() as { port: number }
    configDir = mkdtempSync(join(tmpdir(), 'provisio-cluster-config-'))
    const configFile = join(configDir, 'provisio.yaml')
    writeFileSync(configFile, `webhooks:\n  pendingSweepMs: 400\n  endpoints:\n    - url: http://127.0.0.1:${port}/hook\n      events: [task.completed]\n`)
    ;[a, b] = await Promise.all([
      startNode('node-a', redis.url, configFile, { PROVISIO_ADMIN_PASSWORD: adminPassword }),
      startNode('node-b', redis.url, configFile),
    ])
    adminToken = await tokenOf(await login(a, 'admin', adminPassword, '10.0.0.1'))
  }, 90_000)

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()])
    client?.disconnect()
    await new Promise((resolve) => receiver?.close(resolve))
    await redis?.stop()
    if (configDir) rmSync(configDir, { recursive: true, force: true })
  })

  it('spends one rate-limit budget across the nodes: half used on each, the next request is refused on both', async () => {
    const ip = '10.0.1.1'
    const remaining = []
    for (const node of [a, b, a, b]) {
      const answer = await login(node, 'nobody', 'wrong password', ip)
      expect(answer.status).toBe(401)
      remaining.push(answer.headers.get('x-ratelimit-remaining'))
    }
    expect(remaining).toEqual(['3', '2', '1', '0'])
    for (const node of [a, b]) {
      const refused = await login(node, 'nobody', 'wrong password', ip)
      expect(refused.status).toBe(429)
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    }
    // Another client's budget is its own.
    expect((await login(b, 'nobody', 'wrong password', '10.0.1.2')).status).toBe(401)
  })

  it('locks an account after failures counted on both nodes, and the lock holds on each', async () => {
    const auth = { ...json, authorization: `Bearer ${adminToken}` }
    const created = await fetch(`${b.urls['control-center']}/users`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ username: 'locky', email: 'locky@example.test', password: 'the right password', roles: ['viewer'] }),
    })
    expect(created.status).toBe(201)
    // Each attempt from its own address, so that the rate limit stays out of the way.
    const nodes = [a, b, a, b, a]
    for (const [n, node] of nodes.entries()) expect((await login(node, 'locky', 'a wrong password', `10.0.2.${n}`)).status).toBe(401)
    for (const node of [a, b]) {
      const locked = await login(node, 'locky', 'the right password', `10.0.3.${node === a ? 1 : 2}`)
      expect(locked.status).toBe(423)
    }
  })

  it('refuses on one node a token renewed (and so revoked) on the other', async () => {
    const first = await tokenOf(await login(b, 'admin', adminPassword, '10.0.4.1'))
    const renewed = await fetch(`${a.urls['control-center']}/auth/refresh`, {
      method: 'POST',
      headers: { ...json, 'x-forwarded-for': '10.0.4.2' },
      body: JSON.stringify({ token: first }),
    })
    const second = await tokenOf(renewed)
    expect((await fetch(`${b.urls['control-center']}/users`, { headers: { authorization: `Bearer ${first}` } })).status).toBe(401)
    expect((await fetch(`${b.urls['control-center']}/users`, { headers: { authorization: `Bearer ${second}` } })).status).toBe(200)
  })

  it('runs a task submitted on one node once, lists it on the other, and streams it on both to late WebSocket clients', async () => {
    const auth = { ...json, authorization: `Bearer ${adminToken}` }
    const script = 'for n in $(seq 0 29); do echo "line $n"; sleep 0.05; done'
    const submitted = await fetch(`${a.urls.orchestrator}/tasks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ provider: 'exec', action: 'run', input: { command: 'bash', args: ['-c', script] } }),
    })
    expect(submitted.status).toBe(201)
    const id = ((await submitted.json()) as { data: string }).data
    // Some of the output is out before the clients connect. One client per node: whichever node
    // runs the task, one of them follows it from the other node.
    await sleep(500)
    const streams = await Promise.all([a, b].map((node) => lateStream(`${node.urls.orchestrator.replace('http', 'ws')}/ws/tasks/${id}?token=${adminToken}`)))
    for (const frames of streams) {
      const lines = frames.filter((frame) => frame.type === 'output')
      // Every line once, in order (the exec adapter's first line shows the command).
      expect(lines.map((frame) => frame.data.seq)).toEqual([...Array(lines.length).keys()])
      expect(lines.map((frame) => frame.data.line).filter((line) => line?.startsWith('line '))).toEqual(Array.from({ length: 30 }, (_, n) => `line ${n}`))
      expect(frames.at(-1)).toMatchObject({ type: 'end', data: { status: 'Completed' } })
    }

    const listed = (await (await fetch(`${b.urls.orchestrator}/tasks?limit=100`, { headers: auth })).json()) as { data: Array<{ id: string }> }
    expect(listed.data.map((task) => task.id)).toContain(id)
    const detail = await fetch(`${b.urls.orchestrator}/tasks/${id}`, { headers: auth })
    expect(detail.status).toBe(200)
    expect(await detail.json()).toMatchObject({ data: { id, status: 'Completed' } })
  })

  it('sends a delivery a stopped node left pending exactly once, from whichever node sweeps first', async () => {
    const ids = ['left-1', 'left-2', 'left-3']
    for (const id of ids)
      await client.set(
        `provisio:plugins:webhooks:pending:${id}`,
        JSON.stringify({
          id,
          url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`,
          event: 'task.completed',
          body: '{}',
          headers: { 'x-provisio-delivery': id },
          attempts: 1,
        }),
      )
    for (let waited = 0; (await client.keys('provisio:plugins:webhooks:pending:*')).length > 0; waited += 100) {
      if (waited > 10_000) throw new Error('the pending deliveries were not sent')
      await sleep(100)
    }
    // Two more sweep periods pass: nobody sends them again.
    await sleep(800)
    expect(received.filter((id) => ids.includes(id)).sort()).toEqual(ids)
  })

  it('lists both nodes in health and metrics on either node, and drops one that was killed', async () => {
    expect(await nodeIds(a, adminToken)).toEqual(['node-a', 'node-b'])
    const health = (await (await fetch(`${b.urls.orchestrator}/state/system/health`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as Health
    expect(health.data.components.cluster).toBe('Healthy')
    expect(health.data.details.node).toBe('node-b')
    expect(health.data.details.nodes.map((node) => [node.id, node.pid, node.surfaces])).toEqual([
      ['node-a', a.child.pid, ['control-center', 'orchestrator']],
      ['node-b', b.child.pid, ['control-center', 'orchestrator']],
    ])
    expect(health.data.details.queue).toEqual({ running: 0, queued: 0 })

    const metrics = await (await fetch(`${a.urls.orchestrator}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })).text()
    expect(metrics).toMatch(/^orchestrator_cluster_nodes 2$/m)
    expect(metrics).toMatch(/^orchestrator_cluster_node_info\{node="node-a",.*self="true"\} 1$/m)
    expect(metrics).toMatch(/^orchestrator_cluster_node_info\{node="node-b",.*self="false"\} 1$/m)
    expect(metrics).toMatch(/^orchestrator_tasks_queued 0$/m)

    b.child.kill('SIGKILL')
    await new Promise((resolve) => b.child.once('exit', resolve))
    const killedAt = Date.now()
    while ((await nodeIds(a, adminToken)).includes('node-b')) {
      if (Date.now() - killedAt > 5_000) throw new Error('node-b is still listed 5 s after it was killed')
      await sleep(100)
    }
    expect(await nodeIds(a, adminToken)).toEqual(['node-a'])
  })
})

describeWithTool('redis-server')('periodic work and shared counters on one redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    await redis?.stop()
  })

  it('runs a task once per period across three nodes', async () => {
    const storages = [1, 2, 3].map(() => createStorage({ driver: redisDriver({ url: redis.url, base: 'provisio' }) }))
    const runs: Array<{ node: number; period: number }> = []
    const periodMs = 250
    const stops = storages.map((storage, node) => every(storage, 'count', periodMs, () => void runs.push({ node, period: Math.floor(Date.now() / periodMs) })))
    await sleep(periodMs * 6 + 50)
    for (const stop of stops) stop()
    await Promise.all(storages.map((storage) => storage.dispose()))
    const periods = runs.map((run) => run.period)
    expect(periods.length).toBeGreaterThanOrEqual(5)
    expect(new Set(periods).size).toBe(periods.length)
  })

  it('counts every failed login that two nodes record at once', async () => {
    const storages = [1, 2].map(() => createStorage({ driver: redisDriver({ url: redis.url, base: 'provisio' }) }))
    const policy = { maxFailures: 1_000, windowSeconds: 900, lockSeconds: 900 }
    const lockouts = storages.map((storage) => createLockout({ storage, policy, now: Date.now }))
    await Promise.all(lockouts.flatMap((lockout) => Array.from({ length: 10 }, () => lockout.recordFailure('racy'))))
    const record = await storages[0].getItem<{ failures: number }>(identityKeys.lockout('racy'))
    await Promise.all(storages.map((storage) => storage.dispose()))
    expect(record?.failures).toBe(20)
  })

  it('lets one of two nodes rotating one refresh token at once win, and ends the session on the other', async () => {
    const storages = [1, 2].map(() => createStorage({ driver: redisDriver({ url: redis.url, base: 'provisio' }) }))
    const sessions = storages.map((storage) => createSessions({ storage, ttlSeconds: 600, now: Date.now }))
    const { token } = await sessions[0].issue({ userId: 'u-1', sessionEpoch: 0 })
    // Both connected first, so that neither is held back by its connection.
    await Promise.all(storages.map((storage) => storage.hasItem('warm-up')))
    const outcomes = await Promise.allSettled(sessions.map((node) => node.rotate(token)))
    await Promise.all(storages.map((storage) => storage.dispose()))
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({ reason: { code: 'reused' } })
  })

  it('renews an access token once when two nodes are asked at once', async () => {
    const storages = [1, 2].map(() => createStorage({ driver: redisDriver({ url: redis.url, base: 'renewals' }) }))
    const identities = storages.map((storage) => createIdentity({ storage }))
    await identities[0].bootstrapAdmin({ username: 'admin', password: adminPassword })
    const { accessToken } = await identities[0].login({ username: 'admin', password: adminPassword })
    // Both connected and with the signing key and the user loaded, so that neither is held back.
    await Promise.all(identities.map((identity) => identity.verify(accessToken)))
    const outcomes = await Promise.allSettled(identities.map((identity) => identity.renewAccessToken(accessToken)))
    await Promise.all(storages.map((storage) => storage.dispose()))
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected'])
  })

  it('counts rate limits on each node alone while Redis cannot be reached, instead of failing requests', async () => {
    const unreachable = new Redis(`redis://127.0.0.1:${await freePort()}`, { lazyConnect: true, maxRetriesPerRequest: 0 })
    unreachable.on('error', () => {})
    const limits = createRateLimits({ auth: 2 }, { redis: { client: unreachable, prefix: 'provisio:' } })
    expect((await limits.consume('auth', 'ip:10.9.9.9')).remaining).toBe(1)
    expect((await limits.consume('auth', 'ip:10.9.9.9')).remaining).toBe(0)
    await expect(limits.consume('auth', 'ip:10.9.9.9')).rejects.toMatchObject({ status: 429 })
    unreachable.disconnect()
  })
})

type TaskFrame = { type: string; data: { seq?: number; line?: string; status?: string } }

/** Every frame a WebSocket client connected now to a task's stream receives, until the server closes it. */
function lateStream(url: string): Promise<TaskFrame[]> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    const received: TaskFrame[] = []
    socket.on('message', (data) => received.push(JSON.parse(String(data))))
    socket.on('close', () => resolve(received))
    socket.on('error', reject)
  })
}
