import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Storage } from 'unstorage'
import { createEngine, type Engine, memoryStorage } from '@provisio/engine'
import { takeoverProvider } from '../../packages/engine/test/fixtures/takeover-provider'
import { tempDir } from '../../packages/engine/test/helpers'
import { startRedis } from '../helpers/redis'
import { describeWithTool } from '../helpers/system-tools'
import { expectKilledWorkflowContinued, marksOf } from './engine-process'

const WORKFLOWS = 12

/**
 * `WORKFLOWS` workflows of three operations each, left running in storage by an engine that
 * stopped before any of their jobs ran; then two engines start together on that storage (each
 * through `storageOf(n)`): each workflow is driven by one of them, every operation runs once.
 */
async function expectEachWorkflowDrivenOnce(storageOf: (n: number) => Storage): Promise<void> {
  const marks = tempDir()
  const seed = createEngine({ storage: storageOf(0), providers: [takeoverProvider(marks, 60_000)], concurrency: 1 })
  await seed.start()
  // Holds the only slot: the workflows' first jobs stay queued.
  await seed.jobs.submit({ provider: 'takeover', action: 'slowStep', input: { name: 'blocker' } })
  const ids: string[] = []
  for (let n = 0; n < WORKFLOWS; n++) {
    const step = (name: string, dependsOn?: string) => ({
      id: name,
      provider: 'takeover',
      action: 'step',
      input: { name: `w${n}-${name}` },
      dependsOn: dependsOn ? [dependsOn] : undefined,
    })
    ids.push((await seed.workflows.submit({ name: `twice-${n}`, operations: [step('a'), step('b', 'a'), step('c', 'b')] })).id)
  }
  await seed.stop({ graceMs: 0 })

  const engines: Engine[] = [1, 2].map((n) => createEngine({ storage: storageOf(n), providers: [takeoverProvider(marks, 60_000)], leaseMs: 2000 }))
  const drivenBy = new Map<string, number[]>()
  engines.forEach((engine, n) =>
    engine.on('workflow:status', ({ id, status }) => {
      if (status === 'completed') drivenBy.set(id, [...(drivenBy.get(id) ?? []), n])
    }),
  )
  try {
    await Promise.all(engines.map((engine) => engine.start()))
    const finals = await Promise.all(ids.map((id) => engines[0].workflows.wait(id)))
    expect(finals.map((workflow) => workflow.status)).toEqual(ids.map(() => 'completed'))
    for (let n = 0; n < WORKFLOWS; n++) for (const name of ['a', 'b', 'c']) expect(marksOf(marks, `w${n}-${name}`), `w${n}-${name}`).toHaveLength(1)
    // Each workflow was resumed, and completed, by one engine; both engines took some.
    expect([...drivenBy.values()].filter((by) => by.length !== 1)).toEqual([])
    expect(new Set([...drivenBy.values()].flat())).toEqual(new Set([0, 1]))
    for (const id of ids) {
      const events = (await engines[1].workflows.snapshots(id)).map((snapshot) => snapshot.details.event)
      expect(events.filter((event) => event === 'workflow.resumed')).toHaveLength(1)
    }
  } finally {
    await Promise.all(engines.map((engine) => engine.stop({ graceMs: 0 })))
  }
}

describe('workflow claims', () => {
  it('resumes each unfinished workflow in one of two engines on one memory storage', async () => {
    const storage = memoryStorage()
    await expectEachWorkflowDrivenOnce(() => storage)
  })

  it('leaves a workflow to the engine that drives it: another refuses to retry it, and waits for its end by reading it back', async () => {
    const storage = memoryStorage()
    const marks = tempDir()
    const [driver, other] = [1, 2].map(() => createEngine({ storage, providers: [takeoverProvider(marks, 1200)], leaseMs: 500 }))
    await Promise.all([driver.start(), other.start()])
    try {
      const submitted = await driver.workflows.submit({
        name: 'held',
        operations: [{ id: 'slow', provider: 'takeover', action: 'slowStep', input: { name: 'held-slow' } }],
      })
      await expect(other.workflows.retry(submitted.id)).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/driven by another engine/) })
      // Past two leases: the driver renewed its claim, so the other engine never took the workflow over.
      expect((await other.workflows.wait(submitted.id)).status).toBe('completed')
      expect(marksOf(marks, 'held-slow')).toHaveLength(1)
    } finally {
      await Promise.all([driver.stop({ graceMs: 0 }), other.stop({ graceMs: 0 })])
    }
  })
})

describe('workflow claims: cancelling through another engine', () => {
  it('cancels a workflow another engine drives: that engine carries the request out within a third of a lease', async () => {
    const storage = memoryStorage()
    const marks = tempDir()
    const [driver, other] = [1, 2].map(() => createEngine({ storage, providers: [takeoverProvider(marks, 60_000)], leaseMs: 600 }))
    await Promise.all([driver.start(), other.start()])
    try {
      const submitted = await driver.workflows.submit({
        name: 'cancelled-elsewhere',
        operations: [
          { id: 'slow', provider: 'takeover', action: 'slowStep', input: { name: 'elsewhere-slow' } },
          { id: 'after', provider: 'takeover', action: 'step', input: { name: 'elsewhere-after' }, dependsOn: ['slow'] },
        ],
      })
      while ((await driver.workflows.get(submitted.id))?.operations[0].status !== 'running') await new Promise((resolve) => setTimeout(resolve, 10))
      const asked = Date.now()
      expect((await other.workflows.cancel(submitted.id)).status).toBe('running')
      const done = await other.workflows.wait(submitted.id)
      expect(Date.now() - asked).toBeLessThan(600)
      expect(done.status).toBe('cancelled')
      expect(done.operations.map((operation) => [operation.id, operation.status])).toEqual([
        ['slow', 'cancelled'],
        ['after', 'skipped'],
      ])
      expect(marksOf(marks, 'elsewhere-slow')).toHaveLength(1)
    } finally {
      await Promise.all([driver.stop({ graceMs: 0 }), other.stop({ graceMs: 0 })])
    }
  })
})

describeWithTool('redis-server')('workflow claims on a real redis-server', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    await redis?.stop()
  })

  it('resumes each unfinished workflow in one of two engines, each with its own connection to one redis', async () => {
    await expectEachWorkflowDrivenOnce(() => redis.storage('wf-twice'))
  })

  it('continues the workflow of an engine process killed with SIGKILL once its claim lapses, from its stored state', async () => {
    await expectKilledWorkflowContinued({ kind: 'redis', url: redis.url, base: 'wf-killed' }, redis.storage('wf-killed'))
  })
})
