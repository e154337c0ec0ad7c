import { hostname } from 'node:os'
import type { Storage } from 'unstorage'

/** What a node says about itself in each heartbeat. */
export interface ClusterNode {
  id: string
  host: string
  pid: number
  /** ISO time the node started. */
  startedAt: string
  /** The surfaces it serves. */
  surfaces: string[]
  version: string
  /** ISO time of its last heartbeat. */
  heartbeatAt: string
}

export interface ClusterMembership {
  /** This node, as its heartbeats describe it. */
  readonly self: ClusterNode
  /** The nodes whose last heartbeat is younger than the TTL, this one included, by id. */
  nodes: () => Promise<ClusterNode[]>
  /** Stops the heartbeats and takes this node out of the list at once. */
  leave: () => Promise<void>
}

export interface JoinClusterOptions {
  /** Default `<hostname>-<pid>`. */
  id?: string
  surfaces?: string[]
  version: string
  /** How often the node writes its record. Default 5 000 ms; a node is gone three heartbeats after its last one. */
  heartbeatMs?: number
  onError?: (error: unknown) => void
}

const nodesPrefix = 'cluster:nodes'

function describeSelf(options: Pick<JoinClusterOptions, 'id' | 'surfaces' | 'version'>): ClusterNode {
  const now = new Date().toISOString()
  return {
    id: options.id ?? `${hostname()}-${process.pid}`,
    host: hostname(),
    pid: process.pid,
    startedAt: now,
    surfaces: options.surfaces ?? [],
    version: options.version,
    heartbeatAt: now,
  }
}

/** A node that writes no record and knows only itself: an app embedded in a process of its own, with nothing to stop it. */
export function standaloneNode(options: Pick<JoinClusterOptions, 'id' | 'surfaces' | 'version'>): ClusterMembership {
  const self = describeSelf(options)
  return {
    self,
    nodes: async () => [{ ...self, heartbeatAt: new Date().toISOString() }],
    leave: async () => {},
  }
}

/**
 * Heartbeats this node into `storage` (`cluster:nodes:<id>`, with a TTL where the driver keeps one)
 * so that any node can list the live ones. A node killed without leaving drops out of the list
 * three heartbeats later: its record expires on Redis, and reads skip a stale record on any store.
 */
export function joinCluster(storage: Storage, options: JoinClusterOptions): ClusterMembership {
  const heartbeatMs = options.heartbeatMs ?? 5_000
  const ttlMs = heartbeatMs * 3
  const self = describeSelf(options)
  const { id } = self
  const key = `${nodesPrefix}:${id}`
  const beat = async () => {
    self.heartbeatAt = new Date().toISOString()
    await storage.setItem(key, { ...self }, { ttl: Math.ceil(ttlMs / 1000) })
  }
  const report = (error: unknown) => options.onError?.(error)
  let left = false
  const first = beat().catch(report)
  const timer = setInterval(() => void beat().catch(report), heartbeatMs).unref()

  return {
    self,
    async nodes() {
      await first
      const now = Date.now()
      const records = await Promise.all((await storage.getKeys(nodesPrefix)).map((nodeKey) => storage.getItem<ClusterNode>(nodeKey)))
      const live = records.filter((node): node is ClusterNode => !!node && now - Date.parse(node.heartbeatAt) < ttlMs)
      // This node is alive while it answers, even when its latest heartbeat failed to reach the store.
      if (!left && !live.some((node) => node.id === id)) live.push({ ...self })
      return live.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    },
    async leave() {
      if (left) return
      left = true
      clearInterval(timer)
      await first
      await storage.removeItem(key).catch(report)
    },
  }
}
