import Redis from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { JobRecord, OutputLine } from '@provisio/engine'
import { startRedis } from '../helpers/redis'
import { describeWithTool } from '../helpers/system-tools'
import { startNode, type ClusterNode } from './cluster/harness'

type Ran = { node: string; startedAt: number; endedAt: number }

describeWithTool('redis-server')('three engines on one Redis, dispatched by BullMQ', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  let client: Redis
  let nodes: ClusterNode[] = []
  const base = `cluster-${process.pid}`

  beforeAll(async () => {
    redis = await startRedis()
    client = new Redis(redis.url)
    nodes = await Promise.all(['a', 'b', 'c'].map((name) => startNode(name, { url: redis.url, base })))
  }, 30_000)
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()))
    client?.disconnect()
    await redis?.stop()
  }, 30_000)

  it('runs 1,000 jobs submitted on every node exactly once each, spread over the nodes', async () => {
    const perNode = await Promise.all(
      nodes.map((node, n) =>
        node.ask<string[]>({ type: 'submit', jobs: Array.from({ length: n === 0 ? 334 : 333 }, () => ({ provider: 'cluster', action: 'noop' })) }),
      ),
    )
    const ids = perNode.flat()
    expect(new Set(ids).size).toBe(1000)
    const records = (await Promise.all(nodes.map((node, n) => node.ask<JobRecord[]>({ type: 'wait', ids: perNode[n] })))).flat()
    expect(records.every((job) => job.status === 'completed')).toBe(true)
    const runs = await client.lrange(`${base}:runs`, 0, -1)
    expect(runs.length).toBe(1000)
    expect(new Set(runs).size).toBe(1000)
    const byNode = new Map<string, number>()
    for (const job of records) byNode.set((job.result as Ran).node, (byNode.get((job.result as Ran).node) ?? 0) + 1)
    expect([...byNode.keys()].sort()).toEqual(['a', 'b', 'c'])
    const counts = await nodes[0].ask<{ nodes: string[]; active: number; waiting: number }>({ type: 'counts' })
    expect(counts.nodes).toEqual(['a', 'b', 'c'])
    expect(counts.active + counts.waiting).toBe(0)
  }, 60_000)

  it('notifies of each job once in the cluster (by the node that ran it), while every node hears every job end', async () => {
    const ids = await nodes[1].ask<string[]>({ type: 'submit', jobs: Array.from({ length: 30 }, () => ({ provider: 'cluster', action: 'noop' })) })
    await nodes[1].ask({ type: 'wait', ids })
    // Relayed events reach the other nodes a moment after the end is stored.
    await new Promise((resolve) => setTimeout(resolve, 300))
    const seen = await Promise.all(nodes.map((node) => node.ask<{ notified: string[]; heardEnd: string[] }>({ type: 'notified' })))
    const notified = seen.flatMap(({ notified }) => notified.filter((id) => ids.includes(id)))
    expect(notified.sort()).toEqual([...ids].sort())
    for (const { heardEnd } of seen) expect(ids.every((id) => heardEnd.includes(id))).toBe(true)
  }, 30_000)

  it('relays a kind of event only to the nodes that listen to it', async () => {
    const channel = (name: string) => `${base}:dispatch:events:${name}`
    const subscribers = async (name: string) => ((await client.pubsub('NUMSUB', channel(name))) as [string, number])[1]
    // Every node counts job ends; none listens to job:created.
    expect(await subscribers('job:status')).toBe(3)
    expect(await subscribers('job:created')).toBe(0)
    await nodes[0].ask({ type: 'listenCreated' })
    // The node subscribes as its first listener of the kind is added, then tells the others.
    for (const until = Date.now() + 5000; (await subscribers('job:created')) === 0 && Date.now() < until; )
      await new Promise((resolve) => setTimeout(resolve, 10))
    expect(await subscribers('job:created')).toBe(1)
    const ids = await nodes[1].ask<string[]>({ type: 'submit', jobs: Array.from({ length: 5 }, () => ({ provider: 'cluster', action: 'noop' })) })
    await nodes[1].ask({ type: 'wait', ids })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const [listening, , silent] = await Promise.all(nodes.map((node) => node.ask<{ created: string[] }>({ type: 'notified' })))
    expect(listening.created).toEqual(ids)
    expect(silent.created).toEqual([])
  }, 30_000)

  it('holds a concurrency key across the cluster: never more than its limit running at once', async () => {
    const submissions = nodes.map((node) =>
      node.ask<string[]>({
        type: 'submit',
        jobs: Array.from({ length: 4 }, () => ({ provider: 'cluster', action: 'sleep', input: { ms: 150 }, concurrencyKey: 'shared' })),
      }),
    )
    const perNode = await Promise.all(submissions)
    const records = (await Promise.all(nodes.map((node, n) => node.ask<JobRecord[]>({ type: 'wait', ids: perNode[n] })))).flat()
    expect(records.every((job) => job.status === 'completed')).toBe(true)
    const spans = records.map((job) => job.result as Ran)
    // The key allows 2 ('shared': 2), in the whole cluster.
    expect(mostAtOnce(spans)).toBe(2)
    expect(new Set(spans.map((span) => span.node)).size).toBeGreaterThan(1)
  }, 30_000)

  it('cancels from any node: a queued job is withdrawn and never runs, a running one is stopped by the node that runs it', async () => {
    // The key allows 2 at once in the cluster: the third job waits, queued.
    const ids = await nodes[0].ask<string[]>({
      type: 'submit',
      jobs: Array.from({ length: 3 }, () => ({ provider: 'cluster', action: 'sleep', input: { ms: 1500 }, concurrencyKey: 'shared' })),
    })
    let records: JobRecord[] = []
    for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 25))) {
      records = await nodes[0].ask<JobRecord[]>({ type: 'get', ids })
      if (records.filter((job) => job.status === 'running').length === 2) break
    }
    const running = records.filter((job) => job.status === 'running').map((job) => job.id)
    const queued = records.find((job) => job.status === 'pending')!.id
    expect(running).toHaveLength(2)
    const [cancelledQueued] = await nodes[1].ask<JobRecord[]>({ type: 'cancel', ids: [queued] })
    const [cancelledRunning] = await nodes[2].ask<JobRecord[]>({ type: 'cancel', ids: [running[0]] })
    expect([cancelledQueued.status, cancelledRunning.status]).toEqual(['cancelled', 'cancelled'])
    const ended = await nodes[0].ask<JobRecord[]>({ type: 'wait', ids })
    expect(ended.map((job) => job.status)).toEqual(ids.map((id) => (id === running[1] ? 'completed' : 'cancelled')))
    const runs = await client.lrange(`${base}:runs`, 0, -1)
    expect(runs.filter((id) => ids.includes(id)).sort()).toEqual([...running].sort())
  }, 30_000)

  it("runs no more jobs at once on a node than the dispatcher's `concurrency`, below the engine's", async () => {
    const lone = await startNode('lone', { url: redis.url, base: `${base}-lone`, concurrency: 8, nodeConcurrency: 2 })
    try {
      const ids = await lone.ask<string[]>({
        type: 'submit',
        jobs: Array.from({ length: 6 }, () => ({ provider: 'cluster', action: 'sleep', input: { ms: 150 } })),
      })
      const spans = (await lone.ask<JobRecord[]>({ type: 'wait', ids })).map((job) => job.result as Ran)
      expect(mostAtOnce(spans)).toBe(2)
    } finally {
      await lone.stop()
    }
  }, 30_000)

  it('streams a job that runs on one node to late followers on every node: in order, no gaps, no duplicates, then the end', async () => {
    const [id] = await nodes[0].ask<string[]>({ type: 'submit', jobs: [{ provider: 'cluster', action: 'lines', input: { count: 80, everyMs: 10 } }] })
    await new Promise((resolve) => setTimeout(resolve, 300))
    const followed = await Promise.all(nodes.map((node) => node.ask<{ lines: OutputLine[]; job: JobRecord }>({ type: 'output', id })))
    const runner = (followed[0].job.result as Ran).node
    expect(nodes.some((node) => node.name !== runner)).toBe(true)
    for (const { lines, job } of followed) {
      expect(lines.map((line) => line.seq)).toEqual(Array.from({ length: 80 }, (_, n) => n))
      expect(lines.map((line) => line.line)).toEqual(Array.from({ length: 80 }, (_, n) => `line ${n}`))
      expect(job.status).toBe('completed')
    }
  }, 30_000)
})

/** The most runs that overlapped at one instant. */
function mostAtOnce(spans: Ran[]): number {
  const edges = spans.flatMap((span) => [
    { at: span.startedAt, delta: 1 },
    { at: span.endedAt, delta: -1 },
  ])
  edges.sort((x, y) => x.at - y.at || x.delta - y.delta)
  let running = 0
  let most = 0
  for (const edge of edges) most = Math.max(most, (running += edge.delta))
  return most
}
