import { setTimeout as sleep } from 'node:timers/promises'
import { Registry } from 'prom-client'
import { createStorage } from 'unstorage'
import { describe, expect, it } from 'vitest'
import { collectClusterMetrics, every, joinCluster, type ClusterNode } from '../src'

describe('cluster: one process', () => {
  it('runs a periodic task once per period, however many schedules one storage has', async () => {
    const storage = createStorage()
    const periods: number[] = []
    const periodMs = 100
    const task = () => void periods.push(Math.floor(Date.now() / periodMs))
    const stops = [every(storage, 'tick', periodMs, task), every(storage, 'tick', periodMs, task)]
    // Another name is another task.
    let others = 0
    stops.push(every(storage, 'other', periodMs, () => void others++))
    await sleep(periodMs * 4 + 30)
    for (const stop of stops) stop()
    expect(periods.length).toBeGreaterThanOrEqual(3)
    expect(new Set(periods).size).toBe(periods.length)
    expect(others).toBeGreaterThanOrEqual(3)
    const count = periods.length
    await sleep(periodMs * 2)
    expect(periods.length).toBe(count)
  })

  it('keeps running after a period whose task threw, reporting the error', async () => {
    const errors: unknown[] = []
    let runs = 0
    const stop = every(
      createStorage(),
      'flaky',
      50,
      () => {
        runs++
        if (runs === 1) throw new Error('first run fails')
      },
      { onError: (error) => errors.push(error) },
    )
    await sleep(140)
    stop()
    expect(runs).toBeGreaterThanOrEqual(2)
    expect(errors).toEqual([new Error('first run fails')])
    expect(() => every(createStorage(), 'bad', 0, () => {})).toThrow(RangeError)
  })

  it('lists the nodes with a current heartbeat, skips stale records, and drops a node that leaves', async () => {
    const storage = createStorage()
    const first = joinCluster(storage, { id: 'node-1', version: '1.2.3', surfaces: ['orchestrator'], heartbeatMs: 1_000 })
    const second = joinCluster(storage, { id: 'node-2', version: '1.2.3', heartbeatMs: 1_000 })
    // A node killed long ago on a store without TTLs: its record stays, but its heartbeat is old.
    const stale: ClusterNode = { ...second.self, id: 'node-0', heartbeatAt: new Date(Date.now() - 60_000).toISOString() }
    await storage.setItem('cluster:nodes:node-0', stale)
    expect((await first.nodes()).map((node) => node.id)).toEqual(['node-1', 'node-2'])
    expect((await second.nodes())[0]).toMatchObject({ id: 'node-1', pid: process.pid, version: '1.2.3', surfaces: ['orchestrator'] })

    const registry = new Registry()
    const stopMetrics = collectClusterMetrics(first, { registry })
    const text = await registry.metrics()
    expect(text).toMatch(/^orchestrator_cluster_nodes 2$/m)
    expect(text).toMatch(/^orchestrator_cluster_node_info\{node="node-1",.*surfaces="orchestrator",self="true"\} 1$/m)
    expect(text).toMatch(/^orchestrator_cluster_node_heartbeat_age_seconds\{node="node-2"\} \d/m)
    stopMetrics()
    expect(await registry.metrics()).toBe('\n')

    await second.leave()
    expect((await first.nodes()).map((node) => node.id)).toEqual(['node-1'])
    await first.leave()
  })
})
