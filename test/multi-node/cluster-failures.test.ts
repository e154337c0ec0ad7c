import Redis from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobRecord, OutputLine } from '@provisio/engine'
import { describeWithTool } from '../helpers/system-tools'
import { startNode, type ClusterNode } from './cluster/harness'
import { startRedis } from '../helpers/redis'

type Ran = { node: string }

const LEASE_MS = 1000

describeWithTool('redis-server')('a cluster that loses a node, then its Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  let client: Redis
  const started: ClusterNode[] = []
  const base = `failures-${process.pid}`
  const join = async (name: string) => {
    const node = await startNode(name, { url: redis.url, base, leaseMs: LEASE_MS })
    started.push(node)
    return node
  }

  beforeAll(async () => {
    redis = await startRedis({ durable: true })
    client = new Redis(redis.url, { maxRetriesPerRequest: null })
    client.on('error', () => {})
  })
  afterAll(async () => {
    await Promise.all(started.map((node) => node.stop()))
    client?.disconnect()
    await redis?.stop()
  }, 30_000)

  describe('SIGKILL of a node mid-job', () => {
    it('re-runs its idempotent job on another node and fails the other as interrupted, within a bounded time', async () => {
      const doomed = await join('doomed')
      const [once, again] = await doomed.ask<string[]>({
        type: 'submit',
        jobs: [
          { provider: 'cluster', action: 'slowOnce', input: { ms: 20_000 } },
          { provider: 'cluster', action: 'slowAgain', input: { ms: 20_000, msOn: { survivor: 100 } } },
        ],
      })
      // Both run on the only node there is: each has logged its first line.
      await waitFor(async () => (await client.keys(`${base}:output:${once}:*`)).length > 0 && (await client.keys(`${base}:output:${again}:*`)).length > 0)
      const survivor = await join('survivor')
      await doomed.kill()
      const killedAt = Date.now()
      const [interrupted, rerun] = await survivor.ask<JobRecord[]>({ type: 'wait', ids: [once, again] })
      const tookMs = Date.now() - killedAt
      expect(interrupted.status).toBe('failed')
      expect(interrupted.error?.code).toBe('interrupted')
      expect(rerun.status).toBe('completed')
      expect((rerun.result as Ran).node).toBe('survivor')
      // BullMQ's lock (one lease) lapses, its stalled check (every half lease) finds it, and the claim is free by then.
      expect(tookMs).toBeLessThan(LEASE_MS * 6)
      const output = await survivor.ask<{ lines: OutputLine[] }>({ type: 'output', id: again })
      expect(output.lines.map((line) => line.line)).toEqual(['started on doomed', 'started on survivor'])
    }, 30_000)
  })

  describe('Redis restarted during a run', () => {
    it('loses nothing acknowledged: the nodes reconnect and every job submitted ends completed', async () => {
      const nodes = [await join('one'), await join('two')]
      const submitted = await Promise.all(
        nodes.map((node) =>
          node.ask<string[]>({ type: 'submit', jobs: Array.from({ length: 100 }, () => ({ provider: 'cluster', action: 'sleep', input: { ms: 20 } })) }),
        ),
      )
      await redis.restart(300)
      const more = await nodes[1].ask<string[]>({
        type: 'submit',
        jobs: Array.from({ length: 20 }, () => ({ provider: 'cluster', action: 'sleep', input: { ms: 5 } })),
      })
      const ids = [...submitted.flat(), ...more]
      const records = await nodes[0].ask<JobRecord[]>({ type: 'wait', ids })
      expect(records.filter((job) => job.status !== 'completed')).toEqual([])
      expect(records).toHaveLength(220)
    }, 60_000)
  })
})

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
