// Orchestrator surface, two figures measured against a bare baseline in the same run:
// 1. job submission over HTTP: authenticated `POST /tasks` (JWT, rate limit, policies, zod,
//    engine submit on memory storage, audit) against a bare h3 POST route that parses the same
//    JSON and answers an id. Goal: >= 40%.
// 2. live output fan-out: one job's output streamed to 100 WebSocket clients through the task
//    stream route, against a raw `ws` server broadcasting the same lines. Goal: >= 50%.
// Run: npm run bench -- orchestrator
import { randomUUID } from 'node:crypto'
import { loadavg } from 'node:os'
import { pathToFileURL } from 'node:url'
import { H3, readBody, serve } from 'h3'
import WebSocket, { WebSocketServer } from 'ws'
import { createEngine, defineProvider, memoryStorage } from '@provisio/engine'
import { createServer } from '@provisio/http'
import { z } from 'zod'
import { alternate, CONNECTIONS, load, median, rates, ROUNDS, SECONDS, WARMUP_SECONDS } from './lib/load'

const noop = defineProvider({ name: 'noop', actions: { run: { input: z.object({ n: z.number().optional() }), run: () => null } } })

const submission = JSON.stringify({ provider: 'noop', action: 'run', input: { n: 1 } })
const post = (url: string, headers: Record<string, string>, seconds: number) =>
  load(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: submission, seconds })

async function submissionFigure() {
  const engine = createEngine({ storage: memoryStorage(), providers: [noop], concurrency: 64 })
  await engine.start()
  const server = await createServer({
    engine,
    surfaces: ['orchestrator'],
    ports: { orchestrator: 0 },
    rateLimits: { auth: 1_000, general: 100_000_000, batch: 1_000 },
  })
  await server.identity.users.create({ username: 'admin', password: 'bench-password', roles: ['admin'] })
  const { accessToken } = await server.identity.login({ username: 'admin', password: 'bench-password' })

  const bare = new H3()
    .post('/tasks', async (event) => {
      const body = (await readBody(event)) as { provider: string }
      return { success: true, data: body.provider ? randomUUID() : null }
    })
    // The same job submitted with nothing around it: what the platform adds, apart from the engine.
    .post('/engine/tasks', async (event) => {
      const body = (await readBody(event)) as { provider: string; action: string; input: unknown }
      return { success: true, data: (await engine.jobs.submit({ provider: body.provider, action: body.action, input: body.input })).id }
    })
  const bareServer = serve(bare, { port: 0, hostname: '127.0.0.1', silent: true, gracefulShutdown: false })
  await bareServer.ready()
  const bareUrl = `${bareServer.url!.replace(/\/$/, '')}/tasks`
  const surfaceUrl = `${server.url('orchestrator')}/tasks`
  const auth = { authorization: `Bearer ${accessToken}` }
  // The machine is shared: its load says how far to trust the figures.
  const loadBefore = loadavg()[0].toFixed(1)
  try {
    await post(bareUrl, {}, WARMUP_SECONDS)
    await post(surfaceUrl, auth, WARMUP_SECONDS)
    // Three sides in turn each round, so that all see the same machine and the same store size.
    const bareRates: number[] = []
    const surfaceRates: number[] = []
    const engineRates: number[] = []
    const cpu = { bare: [] as number[], surface: [] as number[], engine: [] as number[] }
    for (let round = 0; round < ROUNDS; round++) {
      const bareRound = await post(bareUrl, {}, SECONDS)
      bareRates.push(bareRound.rate)
      cpu.bare.push(bareRound.cpuMicros)
      const surfaceRound = await post(surfaceUrl, auth, SECONDS)
      if (surfaceRound.non2xx > 0) throw new Error(`POST /tasks answered ${surfaceRound.non2xx} non-2xx responses during the run`)
      surfaceRates.push(surfaceRound.rate)
      cpu.surface.push(surfaceRound.cpuMicros)
      const engineRound = await post(`${bareUrl.replace(/\/tasks$/, '')}/engine/tasks`, {}, SECONDS)
      engineRates.push(engineRound.rate)
      cpu.engine.push(engineRound.cpuMicros)
    }
    const h3 = median(bareRates)
    const surface = median(surfaceRates)
    const bareEngine = median(engineRates)
    const { total } = await engine.jobs.list({ limit: 1 })
    console.log(
      `orchestrator: POST /tasks (one no-op job each), ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS} s, load average ${loadBefore} before, ${loadavg()[0].toFixed(1)} after`,
    )
    console.log(`  bare h3 POST route                 ${Math.round(h3).toLocaleString('en')} req/s  (${rates(bareRates)})`)
    console.log(
      `  orchestrator, authenticated        ${Math.round(surface).toLocaleString('en')} req/s  (${rates(surfaceRates)}; ${((surface / h3) * 100).toFixed(1)}% of bare h3; goal 40%; ${total.toLocaleString('en')} jobs stored)`,
    )
    console.log(
      `  bare h3 route submitting the job   ${Math.round(bareEngine).toLocaleString('en')} req/s  (${rates(engineRates)}; the orchestrator does ${((surface / bareEngine) * 100).toFixed(1)}% of it: the platform's share, the engine's left out)`,
    )
    const [bareCpu, surfaceCpu, engineCpu] = [median(cpu.bare), median(cpu.surface), median(cpu.engine)]
    console.log(
      `  CPU per request (this process)     bare ${bareCpu.toFixed(0)} µs, orchestrator ${surfaceCpu.toFixed(0)} µs, bare route submitting ${engineCpu.toFixed(0)} µs: the orchestrator at ${((bareCpu / surfaceCpu) * 100).toFixed(1)}% of bare h3 by CPU`,
    )
    return { bare: h3, surface, ratio: surface / h3 }
  } finally {
    await bareServer.close(true)
    await server.close({ force: true })
    await engine.stop({ graceMs: 0 })
  }
}

const CLIENTS = 100
const LINES = 5_000

/** Connects `count` clients to `url`; resolves once every one has received `done` frames matching `isEnd`. */
async function clients(url: string, count: number, isEnd: (text: string) => boolean) {
  let frames = 0
  const connected = Array.from({ length: count }, () => {
    const socket = new WebSocket(url)
    // Listening from the start: the stream's first frame may come with the handshake.
    const ended = new Promise<void>((resolve) => {
      socket.on('message', (data) => {
        frames++
        if (isEnd(String(data))) resolve()
      })
    })
    const open = new Promise<WebSocket>((resolve, reject) => {
      socket.once('open', () => resolve(socket))
      socket.once('error', reject)
    })
    return { open, ended }
  })
  const sockets = await Promise.all(connected.map((each) => each.open))
  return { sockets, ended: Promise.all(connected.map((each) => each.ended)), frames: () => frames }
}

/** The raw baseline: a `ws` server sending each line, as the task stream frames it, to every client. */
async function rawBroadcast(): Promise<number> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as { port: number }
  const group = await clients(`ws://127.0.0.1:${port}`, CLIENTS, (text) => text.startsWith('{"type":"end"'))
  const started = performance.now()
  for (let seq = 0; seq < LINES; seq++) {
    const frame = JSON.stringify({ type: 'output', data: { seq, line: `line ${seq} of the bench job` } })
    for (const socket of server.clients) socket.send(frame)
    // Yield now and then, as a job logging lines would.
    if (seq % 100 === 99) await new Promise((resolve) => setImmediate(resolve))
  }
  for (const socket of server.clients) socket.send(JSON.stringify({ type: 'end', data: {} }))
  await group.ended
  const seconds = (performance.now() - started) / 1000
  for (const socket of group.sockets) socket.close()
  await new Promise((resolve) => server.close(resolve))
  return (LINES * CLIENTS) / seconds
}

/** The orchestrator: one job logging LINES lines, followed by CLIENTS sockets on `/ws/tasks/{id}`. */
async function surfaceFanOut(): Promise<number> {
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  const logger = defineProvider({
    name: 'logger',
    actions: {
      lines: {
        input: z.object({}),
        run: async (ctx) => {
          await gate
          for (let seq = 0; seq < LINES; seq++) {
            ctx.log(`line ${seq} of the bench job`)
            if (seq % 100 === 99) await new Promise((resolve) => setImmediate(resolve))
          }
        },
      },
    },
  })
  const engine = createEngine({ storage: memoryStorage(), providers: [logger] })
  await engine.start()
  const server = await createServer({
    engine,
    surfaces: ['orchestrator'],
    ports: { orchestrator: 0 },
    rateLimits: { auth: 1_000, general: 100_000_000, batch: 1_000 },
  })
  try {
    await server.identity.users.create({ username: 'admin', password: 'bench-password', roles: ['admin'] })
    const { accessToken } = await server.identity.login({ username: 'admin', password: 'bench-password' })
    const job = await engine.jobs.submit({ provider: 'logger', action: 'lines', input: {} })
    const url = `${server.url('orchestrator').replace('http', 'ws')}/ws/tasks/${job.id}?token=${accessToken}`
    const group = await clients(url, CLIENTS, (text) => text.startsWith('{"type":"end"'))
    const started = performance.now()
    release()
    await group.ended
    const seconds = (performance.now() - started) / 1000
    const expected = CLIENTS * (LINES + 2)
    if (group.frames() < expected) throw new Error(`clients got ${group.frames()} frames, expected at least ${expected}`)
    for (const socket of group.sockets) socket.close()
    return (LINES * CLIENTS) / seconds
  } finally {
    await server.close({ force: true })
    await engine.stop({ graceMs: 0 })
  }
}

async function fanOutFigure() {
  await rawBroadcast()
  await surfaceFanOut()
  const { baseline: raw, measured: surface } = await alternate(rawBroadcast, surfaceFanOut)
  const ratio = median(surface) / median(raw)
  console.log(`orchestrator: one job's ${LINES.toLocaleString('en')} output lines to ${CLIENTS} WebSocket clients, ${ROUNDS} alternating rounds`)
  console.log(`  raw ws broadcast                   ${Math.round(median(raw)).toLocaleString('en')} lines/s delivered  (${rates(raw)})`)
  console.log(
    `  /ws/tasks/{id} (live-output helper) ${Math.round(median(surface)).toLocaleString('en')} lines/s delivered  (${rates(surface)}; ${(ratio * 100).toFixed(1)}% of raw ws; goal 50%)`,
  )
  return { raw: median(raw), surface: median(surface), ratio }
}

/** Both orchestrator figures (`npm run bench -- orchestrator`). */
export async function benchOrchestrator() {
  return { submission: await submissionFigure(), fanOut: await fanOutFigure() }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await (process.argv[2] === 'fan-out' ? fanOutFigure() : benchOrchestrator())
