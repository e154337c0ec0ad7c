import type { Engine } from '@provisio/engine'
import type { ClusterMembership } from '@provisio/plugins'
import type { Registry } from 'prom-client'
import type { AuditLog } from '../audit'
import type { Identity } from '../identity'
import type { PolicyStore } from '../policies'
import type { Workspaces } from '../workspaces'

/** Whether a provider talks to the real service, to a local stand-in (sandbox mode), or is not available here. */
export interface ProviderStatus {
  name: string
  mode: 'sandbox' | 'live' | 'unavailable'
  endpoint?: string
  /** Why an unavailable provider is left out, and how to configure it. */
  reason?: string
}

/** What a surface's routes are built from; every surface factory receives the same object. */
export interface SurfaceDeps {
  engine: Engine
  identity: Identity
  policies: PolicyStore
  audit: AuditLog
  providers: ProviderStatus[]
  /** Workspace directories, each user's active workspace and the server records (docs/workspaces.md). */
  workspaces: Workspaces
  /** Epoch milliseconds the server started, for health answers. */
  startedAt: number
  /** The server's data directory (disk figures of `/state/system/*`); undefined for an embedded, in-memory platform. */
  dataDir?: string
  /** Where the engine's and the surfaces' Prometheus metrics are registered. */
  metrics: Registry
  /** This node and the others sharing the storage (docs/scaling.md). */
  cluster: ClusterMembership
}
