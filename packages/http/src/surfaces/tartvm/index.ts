import { dirname, join } from 'node:path'
import { finalJobStatuses, type Engine, type JobRecord } from '@provisio/engine'
import type { H3Event } from 'h3'
import { fastapiStyle } from '../../platform/error-styles'
import { ApiError } from '../../platform/errors'
import type { SurfaceDeps } from '../../platform/surface-deps'
import type { SurfaceDefinition, SurfaceModule } from '../../platform/types'
import { Inventory } from './inventory'
import { openPage } from './page'
import { tartvmRoutes } from './routes'
import { GithubTokenStore } from './settings'
import { tartCli, type TartCli } from './tart-cli'
import type { TartFacts } from './task-view'
import { TaskService } from './tasks'
import { openLocalToken, tokenMatches } from './token'
import { taskSocket } from './ws'

export { openLocalToken } from './token'
export type { LocalToken } from './token'

export interface TartvmOptions {
  /** The `X-Local-Token` file: created (0600) on first start, read on later ones. Default `.provisio/tartvm/token`. */
  tokenFile?: string
  /** A checkout of de taartenfabriek whose web page is served at `/` (`--tartvm-ui`). */
  ui?: string
  /** Background inventory refresh interval. Default 10 000 ms. */
  refreshIntervalMs?: number
  /** WebSocket keepalive interval (an empty text frame). Default 30 000 ms. */
  keepaliveMs?: number
  /** The GitHub REST API, for the images the page offers to pull. Default `https://api.github.com`. */
  githubApiUrl?: string
}

export const TARTVM_VERSION = '0.1.0'
export const defaultTokenFile = join('.provisio', 'tartvm', 'token')

/** The engine's tart provider, as the surface reads it: its binary and its `tart stop` timeout. */
function tartFacts(engine: Engine): TartFacts {
  const registered = engine.providers.get('tart')
  if (!registered) throw new ApiError(503, 'Tart is not available: the server has no tart provider')
  const config = registered.config as { binary?: string; stopTimeoutSeconds?: number }
  return { binary: config.binary ?? 'tart', stopTimeoutSeconds: config.stopTimeoutSeconds ?? 30 }
}

/**
 * 003's local tart VM manager (de taartenfabriek): the cached VM inventory, VM tasks run as
 * engine jobs of the tart provider, their live WebSocket, and optionally the real project's web
 * page. Its own `X-Local-Token` replaces Bearer tokens.
 */
export function tartvmSurface(deps: SurfaceDeps, options: TartvmOptions = {}): SurfaceDefinition {
  const { engine } = deps
  const tokenFile = options.tokenFile ?? defaultTokenFile
  const { token } = openLocalToken(tokenFile)
  const tart = (): TartCli => tartCli(tartFacts(engine).binary)
  const inventory = new Inventory(tart, { intervalMs: options.refreshIntervalMs })
  const tasks = new TaskService(engine, () => tartFacts(engine))
  const page = options.ui ? openPage(options.ui) : undefined

  // Whatever a tart job changed (by this surface or the orchestrator's), the inventory shows it.
  const onJobStatus = ({ job }: { job: JobRecord }) => {
    // A tart job run by another node changed that node's machine, not this one's.
    if (job.provider !== 'tart' || !finalJobStatuses.has(job.status) || engine.relaying) return
    const name = (job.input as { name?: unknown } | undefined)?.name
    inventory.changed(typeof name === 'string' ? name : undefined)
  }
  engine.on('job:status', onJobStatus)
  if (engine.providers.has('tart')) inventory.start()

  return {
    name: 'tartvm',
    title: 'de taartenfabriek (tartvm) API',
    version: TARTVM_VERSION,
    description:
      'Local tart VM manager (seed 003): VM inventory, VM tasks with live WebSocket updates. Every `/api/*` route but health needs the `X-Local-Token` header; errors are `{"detail": ...}`.',
    style: fastapiStyle,
    auth: false,
    policies: false,
    credential: {
      scheme: 'localToken',
      header: 'X-Local-Token',
      query: 'token',
      description: 'The local token: created on first start in the token file (mode 0600), shown once at start',
      refusal: { status: 403, description: 'Invalid or missing X-Local-Token header' },
    },
    authenticate: (event: H3Event) => {
      if (!event.url.pathname.startsWith('/api/')) return
      if (!tokenMatches(token, event.req.headers.get('x-local-token'))) throw new ApiError(403, 'Invalid or missing X-Local-Token header')
    },
    routes: tartvmRoutes({
      inventory,
      tasks,
      tart,
      settings: new GithubTokenStore(join(dirname(tokenFile), 'github-token')),
      page,
      token: () => token,
      version: TARTVM_VERSION,
      githubApiUrl: options.githubApiUrl ?? 'https://api.github.com',
    }),
    websockets: [taskSocket({ engine, tasks, token: () => token, keepaliveMs: options.keepaliveMs ?? 30_000 })],
    dispose: () => {
      engine.off('job:status', onJobStatus)
      inventory.stop()
    },
  }
}

/** The tartvm surface with its options (token file, web page): pass it in `createServer({ surfaces })`. */
export function tartvmModule(options: TartvmOptions = {}): SurfaceModule<SurfaceDeps> {
  return {
    name: 'tartvm',
    defaultPort: 8001,
    // A local tool with a token in its page: never on another interface unless asked per surface.
    defaultHost: '127.0.0.1',
    create: (deps) => tartvmSurface(deps, options),
  }
}
