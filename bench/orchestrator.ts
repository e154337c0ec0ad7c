// Orchestrator surface, two figures measured against a bare baseline in the same run:
// 1. job submission over HTTP: authenticated `POST /tasks` (JWT, rate limit, policies, zod,
//    engine submit on memory storage, audit) against a bare h3 POST route that parses the same
//    JSON and answers an id. Goal: >= 40%.
// 2. live output fan-out: one job's output streamed to 100 WebSocket clients through the task
//    stream route, against a raw `ws` server broadcasting the same lines. Goal: >= 50%.
// Run: npm run bench -- orchestrator
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { H3, readBody, serve } from 'h3'
import { createEngine, defineProvider, memoryStorage } from '@provisio/engine'
import { createServer } from '@provisio/http'
import { z } from 'zod'

interface AutocannonResult {
  requests: { average: number }
  non2xx: number
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: {
  url: string
  method: 'POST'
  headers: Record<string, string>
  body: string
  connections: number
  duration: number
}) => Promise<AutocannonResult>

const CONNECTIONS = 32
const SECONDS = 4
const ROUNDS = 3
const WARMUP_SECONDS = 2

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const noop = defineProvider({ name: 'noop', actions: { run: { input: z.object({ n: z.number().optional() }), run: () => null } } })

async function post(url: string, headers: Record<string, string>, seconds: number) {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ provider: 'noop', action: 'run', input: { n: 1 } }),
    connections: CONNECTIONS,
    duration: seconds,
  })
  return { rate: result.requests.average, non2xx: result.non2xx }
}

export async function benchSubmission() {
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

  const bare = new H3().post('/tasks', async (event) => {
    const body = (await readBody(event)) as { provider: string }
    return { success: true, data: body.provider ? randomUUID() : null }
  })
  const bareServer = serve(bare, { port: 0, hostname: '127.0.0.1', silent: true, gracefulShutdown: false })
  await bareServer.ready()
  const bareUrl = `${bareServer.url!.replace(/\/$/, '')}/tasks`
  const surfaceUrl = `${server.url('orchestrator')}/tasks`
  const auth = { authorization: `Bearer ${accessToken}` }
  try {
    await post(bareUrl, {}, WARMUP_SECONDS)
    await post(surfaceUrl, auth, WARMUP_SECONDS)
    const bareRates: number[] = []
    const surfaceRates: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      bareRates.push((await post(bareUrl, {}, SECONDS)).rate)
      const surface = await post(surfaceUrl, auth, SECONDS)
      if (surface.non2xx > 0) throw new Error(`POST /tasks answered ${surface.non2xx} non-2xx responses during the run`)
      surfaceRates.push(surface.rate)
    }
    const h3 = median(bareRates)
    const surface = median(surfaceRates)
    const each = (rates: number[]) => rates.map((rate) => Math.round(rate).toLocaleString('en')).join(', ')
    const { total } = await engine.jobs.list({ limit: 1 })
    console.log(`orchestrator: POST /tasks (one no-op job each), ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS} s`)
    console.log(`  bare h3 POST route                 ${Math.round(h3).toLocaleString('en')} req/s  (${each(bareRates)})`)
    console.log(
      `  orchestrator, authenticated        ${Math.round(surface).toLocaleString('en')} req/s  (${each(surfaceRates)}; ${((surface / h3) * 100).toFixed(1)}% of bare h3; goal 40%; ${total.toLocaleString('en')} jobs stored)`,
    )
    return { bare: h3, surface, ratio: surface / h3 }
  } finally {
    await bareServer.close(true)
    await server.close({ force: true })
    await engine.stop({ graceMs: 0 })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await benchSubmission()
