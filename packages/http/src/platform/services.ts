import { resolve } from 'node:path'
import type { Engine } from '@provisio/engine'
import { collectClusterMetrics, collectEngineMetrics, standaloneNode, type ClusterMembership } from '@provisio/plugins'
import { Registry } from 'prom-client'
import { createAuditLog, createRefusalSampler, type AuditLog } from '../audit'
import { createIdentity, type Identity } from '../identity'
import { createPolicyStore, type PolicyStore } from '../policies'
import type { PlatformServices } from './app'
import type { TrustProxy } from '../middleware/client-ip'
import type { CorsConfig } from '../middleware/cors'
import { createRateLimits, type RateLimitConfig, type RateLimits } from '../middleware/rate-limit'
import { sharedRedisOf } from '../runtime/redis'
import { createHttpMetrics } from './http-metrics'
import { version } from '../version'
import { createWorkspaces } from '../workspaces'
import type { ProviderStatus, SurfaceDeps } from './surface-deps'

/** Options shared by `createServer` and the per-surface app factories such as `controlCenter`. */
export interface PlatformOptions {
  engine: Engine
  /** Created over `engine.storage` when omitted. */
  identity?: Identity
  policies?: PolicyStore
  audit?: AuditLog
  /**
   * Of repeated 401/429 answers to one client (per action and username), only the first of each
   * window is audited, the next written one counting the rest (`details.suppressed`). Default 60 000 ms.
   */
  auditRefusalWindowMs?: number
  /**
   * Limiters shared by the surfaces, or requests per minute per bucket (004's 5/100/10 by default),
   * counted in Redis when the engine's storage is on Redis (one budget across the nodes).
   */
  rateLimits?: RateLimits | Partial<RateLimitConfig>
  /** Allowed CORS origins; CORS is off when omitted. */
  cors?: CorsConfig
  /** The data directory, for the disk figures of the orchestrator's state routes. */
  dataDir?: string
  /** Proxy hops or proxy CIDRs whose `X-Forwarded-For` / `Forwarded` entries name the client; see docs/server.md. */
  trustProxy?: TrustProxy
  /** What `/health` reports about providers (sandbox or live). */
  providers?: ProviderStatus[]
  onUnexpectedError?: PlatformServices['onUnexpectedError']
  /**
   * Prometheus registry that the orchestrator's `/metrics` serves: the engine's task, workflow and
   * rollback figures and every surface's request counts and latencies are registered in it. A new
   * one when omitted; give one registry to one platform only.
   */
  metrics?: Registry
  /**
   * This node among the nodes sharing the engine's storage, which health answers and metrics
   * list. `createServer` joins them when omitted; an app of its own knows only itself.
   */
  cluster?: ClusterMembership
  /** Root of the workspace directories; give the engine's `workspaces({ root })` plugin the same. Default `.provisio/workspaces`. */
  workspacesRoot?: string
}

function isRateLimits(value: PlatformOptions['rateLimits']): value is RateLimits {
  return typeof (value as RateLimits | undefined)?.consume === 'function'
}

/**
 * Fills in what was not given, once, so that every surface of a server shares one of each.
 * `surfaces` names what this node serves, for its cluster record.
 */
export function resolvePlatform(options: PlatformOptions, surfaces: string[] = []): { deps: SurfaceDeps; services: PlatformServices; dispose: () => void } {
  const storage = options.engine.storage
  const identity = options.identity ?? createIdentity({ storage })
  const policies = options.policies ?? createPolicyStore({ storage })
  const audit = options.audit ?? createAuditLog({ storage })
  const rateLimits = isRateLimits(options.rateLimits) ? options.rateLimits : createRateLimits(options.rateLimits, { redis: sharedRedisOf(storage) })
  const metrics = options.metrics ?? new Registry()
  const stopEngineMetrics = collectEngineMetrics(options.engine, { registry: metrics })
  const cluster = options.cluster ?? standaloneNode({ surfaces, version })
  const stopClusterMetrics = collectClusterMetrics(cluster, { registry: metrics })
  return {
    deps: {
      engine: options.engine,
      identity,
      policies,
      audit,
      providers: options.providers ?? [],
      workspaces: createWorkspaces({ root: options.workspacesRoot ?? resolve('.provisio', 'workspaces'), storage }),
      startedAt: Date.now(),
      dataDir: options.dataDir,
      metrics,
      cluster,
    },
    services: {
      identity,
      policies,
      audit,
      refusals: createRefusalSampler({ windowMs: options.auditRefusalWindowMs }),
      rateLimits,
      cors: options.cors,
      trustProxy: options.trustProxy,
      onUnexpectedError: options.onUnexpectedError,
      metrics: createHttpMetrics(metrics),
      peers: new Set(),
    },
    dispose: () => {
      stopEngineMetrics()
      stopClusterMetrics()
    },
  }
}
