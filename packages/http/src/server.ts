import type { Server as NodeServer } from 'node:http'
import { serve, type H3 } from 'h3'
import { plugin as ws } from 'crossws/server'
import { joinCluster } from '@provisio/plugins'
import { answerClientErrors } from './middleware/client-errors'
import { buildSurface } from './platform/build-surface'
import { resolvePlatform, type PlatformOptions } from './platform/services'
import type { SurfaceDeps } from './platform/surface-deps'
import type { SurfaceDefinition, SurfaceModule } from './platform/types'
import { findSurfaceModule, surfaceModules } from './surfaces'
import { version } from './version'

export interface ServerOptions extends PlatformOptions {
  /** Surfaces to serve, by name or as modules; every registered surface by default. */
  surfaces?: (string | SurfaceModule<SurfaceDeps>)[]
  /** Bind address of every surface without a `defaultHost` of its own. Default `127.0.0.1`. */
  host?: string
  /** Per-surface bind addresses; they override `host` and the surface's `defaultHost`. */
  hosts?: Record<string, string>
  /** Per-surface ports; `0` picks a free one. Default: each surface's documented port. */
  ports?: Record<string, number>
}

export interface RunningSurface {
  name: string
  host: string
  port: number
  url: string
  app: H3
}

export interface ProvisioServer {
  surfaces: RunningSurface[]
  /** The base URL of a served surface. */
  url: (surface: string) => string
  identity: SurfaceDeps['identity']
  policies: SurfaceDeps['policies']
  audit: SurfaceDeps['audit']
  /** Stops accepting connections and waits for requests in flight (`force` drops them). */
  close: (options?: { force?: boolean }) => Promise<void>
}

function resolveModules(selection: ServerOptions['surfaces']): SurfaceModule<SurfaceDeps>[] {
  if (!selection) return [...surfaceModules]
  return selection.map((entry) => {
    if (typeof entry !== 'string') return entry
    const module = findSurfaceModule(entry)
    if (!module) throw new Error(`[provisio] [http] unknown surface "${entry}"; known: ${surfaceModules.map((m) => m.name).join(', ')}`)
    return module
  })
}

export interface SurfaceAddress {
  name: string
  host: string
  port: number
}

/** Where each selected surface listens: its own host and port, else `host`, else its defaults. */
export function surfaceAddresses(options: Pick<ServerOptions, 'surfaces' | 'host' | 'hosts' | 'ports'>): SurfaceAddress[] {
  return resolveModules(options.surfaces).map((module) => addressOf(module, options))
}

function addressOf(module: SurfaceModule<SurfaceDeps>, options: Pick<ServerOptions, 'host' | 'hosts' | 'ports'>): SurfaceAddress {
  return {
    name: module.name,
    host: options.hosts?.[module.name] ?? module.defaultHost ?? options.host ?? '127.0.0.1',
    port: options.ports?.[module.name] ?? module.defaultPort,
  }
}

/**
 * Serves each surface on its own port (cloudlab 8000, tartvm 8001 on 127.0.0.1, provisioning 8083,
 * orchestrator 9090, control-center 9080), sharing one identity, policy store, audit log and set of
 * rate limiters. WebSocket upgrades go through crossws to the surface's `websockets` routes.
 */
export async function createServer(options: ServerOptions): Promise<ProvisioServer> {
  const modules = resolveModules(options.surfaces)
  const surfaceNames = modules.map((module) => module.name)
  // Joined here unless the caller manages this node's membership, and then left by `close`.
  const cluster =
    options.cluster ??
    joinCluster(options.engine.storage, {
      surfaces: surfaceNames,
      version,
      onError: (error) => options.engine.emit('engine:error', { error: error as Error, context: 'cluster: heartbeat' }),
    })
  const leave = () => (options.cluster ? Promise.resolve() : cluster.leave())
  const platform = resolvePlatform({ ...options, cluster }, surfaceNames)
  const running: RunningSurface[] = []
  const servers: ReturnType<typeof serve>[] = []
  const disposers: NonNullable<SurfaceDefinition['dispose']>[] = []
  const dispose = () => Promise.all(disposers.splice(0).map((fn) => fn()))
  try {
    for (const module of modules) {
      const { app, definition } = buildSurface(module, platform)
      if (definition.dispose) disposers.push(definition.dispose)
      const { host, port: requestedPort } = addressOf(module, options)
      const server = serve(app, {
        port: requestedPort,
        hostname: host,
        silent: true,
        // Signals belong to the process owner (the CLI), which also stops the engine.
        gracefulShutdown: false,
        // crossws's default resolver asks the app: hooks come from the upgrade route (also when a
        // middleware rebuilt its response), and any other answer (401, 404) refuses the upgrade.
        plugins: [ws({})],
      })
      servers.push(server)
      await server.ready()
      // The node server exists once listening; Node's own refusals then answer in the surface's shape.
      if (server.node?.server) answerClientErrors(server.node.server as NodeServer, definition.style)
      const address = server.node?.server?.address()
      const port = typeof address === 'object' && address ? address.port : Number(new URL(server.url!).port)
      const urlHost = host.includes(':') ? `[${host}]` : host
      running.push({ name: module.name, host, port, url: `http://${urlHost}:${port}`, app })
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.close(true)))
    platform.dispose()
    await dispose()
    await leave()
    throw error
  }

  return {
    surfaces: running,
    url: (name) => {
      const surface = running.find((entry) => entry.name === name)
      if (!surface) throw new Error(`[provisio] [http] surface "${name}" is not served`)
      return surface.url
    },
    identity: platform.deps.identity,
    policies: platform.deps.policies,
    audit: platform.deps.audit,
    close: async ({ force = false } = {}) => {
      // Upgraded sockets are no longer the HTTP server's: it would wait for them forever.
      for (const peer of platform.services.peers ?? []) {
        if (force) peer.terminate()
        else peer.close(1001, 'Server shutting down')
      }
      await dispose()
      await Promise.all(servers.map((server) => server.close(force)))
      platform.dispose()
      await leave()
    },
  }
}
