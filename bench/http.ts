// Authenticated `GET /users` of the control-center surface (JWT verify, rate limit, policy
// evaluation, validation, pagination headers, envelope) against a bare h3 route answering a
// list of the same size, both with autocannon on this machine in one run. Goal: >= 60%.
// Run: npm run bench (all benches) or node --conditions=source --import tsx bench/http.ts
import { pathToFileURL } from 'node:url'
import { userView } from '../packages/http/src/surfaces/control-center/routes'
import { H3, serve } from 'h3'
import { createEngine, memoryStorage } from '@provisio/engine'
import { createServer } from '@provisio/http'
import { alternate, CONNECTIONS, load, median, rates, ROUNDS, SECONDS, WARMUP_SECONDS } from './lib/load'

export async function benchHttp() {
  // The engine's default storage: like the server's default fsStorage, it hands normal keys
  // straight to its driver (the per-request revocation check is one storage read).
  const engine = createEngine({ storage: memoryStorage() })
  await engine.start()
  // Limits far above what the run sends: the limiter still counts every request, it never refuses.
  const server = await createServer({
    engine,
    surfaces: ['control-center'],
    ports: { 'control-center': 0 },
    rateLimits: { auth: 1_000, general: 100_000_000, batch: 1_000 },
  })
  await server.identity.users.create({ username: 'admin', password: 'bench-password', roles: ['admin'] })
  const { accessToken } = await server.identity.login({ username: 'admin', password: 'bench-password' })
  const users = await server.identity.users.list()

  // The same JSON body the surface answers, with the documented envelope, from a bare route.
  const bareBody = {
    success: true,
    data: users.items.map(userView),
  }
  const bare = new H3().get('/users', () => bareBody)
  const bareServer = serve(bare, { port: 0, hostname: '127.0.0.1', silent: true, gracefulShutdown: false })
  await bareServer.ready()

  const surfaceUrl = `${server.url('control-center')}/users`
  const auth = { authorization: `Bearer ${accessToken}` }
  try {
    const bareUrl = `${bareServer.url!.replace(/\/$/, '')}/users`
    await load(bareUrl, { seconds: WARMUP_SECONDS })
    await load(surfaceUrl, { headers: auth, seconds: WARMUP_SECONDS })
    const { baseline: bareRates, measured: surfaceRates } = await alternate(
      async () => (await load(bareUrl, { seconds: SECONDS })).rate,
      async () => {
        const surface = await load(surfaceUrl, { headers: auth, seconds: SECONDS })
        if (surface.non2xx > 0) throw new Error(`control-center answered ${surface.non2xx} non-2xx responses during the run`)
        return surface.rate
      },
    )
    const h3 = median(bareRates)
    const surface = median(surfaceRates)
    const ratio = surface / h3
    console.log(`http: GET /users, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS} s, autocannon in the same process`)
    console.log(`  bare h3 route                      ${Math.round(h3).toLocaleString('en')} req/s  (${rates(bareRates)})`)
    console.log(
      `  control-center, authenticated      ${Math.round(surface).toLocaleString('en')} req/s  (${rates(surfaceRates)}; ${(ratio * 100).toFixed(1)}% of bare h3; goal 60%)`,
    )
    return { bare: h3, surface, ratio }
  } finally {
    await bareServer.close(true)
    await server.close({ force: true })
    await engine.stop({ graceMs: 0 })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await benchHttp()
