import { Gauge, type Registry } from 'prom-client'
import type { ClusterMembership } from './nodes'

/**
 * Gauges of the live nodes, read from the node records at scrape time: `<prefix>cluster_nodes`,
 * and per node (label `node`) `<prefix>cluster_node_info` (host, pid, version, surfaces; `self`
 * marks the node that answered), `<prefix>cluster_node_start_time_seconds` and
 * `<prefix>cluster_node_heartbeat_age_seconds`. Returns the function that takes them out of the registry.
 */
export function collectClusterMetrics(cluster: ClusterMembership, options: { registry: Registry; prefix?: string }): () => void {
  const prefix = options.prefix ?? 'orchestrator_'
  const registers = [options.registry]
  const names = ['cluster_nodes', 'cluster_node_info', 'cluster_node_start_time_seconds', 'cluster_node_heartbeat_age_seconds'].map(
    (name) => `${prefix}${name}`,
  )
  // One read of the node records per scrape, shared by the gauges collected in it.
  let reading: Promise<Awaited<ReturnType<ClusterMembership['nodes']>>> | undefined
  const nodes = () => {
    reading ??= cluster.nodes().finally(() => setImmediate(() => (reading = undefined)))
    return reading
  }

  new Gauge({
    name: names[0],
    help: 'Nodes whose heartbeat is current',
    registers,
    async collect() {
      this.set((await nodes()).length)
    },
  })
  new Gauge({
    name: names[1],
    help: 'One series per live node, always 1; its labels describe the node',
    labelNames: ['node', 'host', 'pid', 'version', 'surfaces', 'self'],
    registers,
    async collect() {
      this.reset()
      for (const node of await nodes())
        this.set(
          {
            node: node.id,
            host: node.host,
            pid: String(node.pid),
            version: node.version,
            surfaces: node.surfaces.join(','),
            self: String(node.id === cluster.self.id),
          },
          1,
        )
    },
  })
  new Gauge({
    name: names[2],
    help: 'When each live node started (Unix time, seconds)',
    labelNames: ['node'],
    registers,
    async collect() {
      this.reset()
      for (const node of await nodes()) this.set({ node: node.id }, Date.parse(node.startedAt) / 1000)
    },
  })
  new Gauge({
    name: names[3],
    help: "Seconds since each live node's last heartbeat",
    labelNames: ['node'],
    registers,
    async collect() {
      this.reset()
      const now = Date.now()
      for (const node of await nodes()) this.set({ node: node.id }, Math.max(0, (now - Date.parse(node.heartbeatAt)) / 1000))
    },
  })
  return () => {
    for (const name of names) options.registry.removeSingleMetric(name)
  }
}
