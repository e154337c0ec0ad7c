import { describe, expect, it } from 'vitest'
import { createStorage, defineDriver } from 'unstorage'
import memoryDriver from 'unstorage/drivers/memory'
import { startEngine } from '../helpers'

/** A memory storage that counts record reads. */
function readCountingStorage() {
  const inner = memoryDriver()
  const reads = { records: 0 }
  const driver = defineDriver(() => ({
    ...inner,
    name: 'read-counting',
    getItem(key: string, options: unknown) {
      if (key.startsWith('jobs:records:')) reads.records++
      return inner.getItem(key, options as never)
    },
  }))
  return { storage: createStorage({ driver: driver() }), reads }
}

describe('jobs: list', () => {
  it('filters by status, provider and labels, orders, pages, and reads only the page', async () => {
    const { storage, reads } = readCountingStorage()
    const engine = await startEngine({ storage })
    const submitted = []
    for (let n = 0; n < 30; n++) {
      const action = n % 3 === 0 ? 'fail' : 'echo'
      submitted.push(await engine.jobs.submit({ provider: 'test', action, input: {}, labels: { env: n % 2 ? 'prod' : 'dev', n: String(n) } }))
    }
    await Promise.all(submitted.map((job) => engine.jobs.wait(job.id)))

    reads.records = 0
    const page = await engine.jobs.list({ status: 'failed', limit: 4, offset: 2 })
    expect(page.total).toBe(10)
    expect(page.items.map((job) => job.labels.n)).toEqual(['21', '18', '15', '12'])
    expect(reads.records).toBe(4)

    const prodFailed = await engine.jobs.list({ status: 'failed', label: 'env=prod', order: 'asc' })
    expect(prodFailed.items.map((job) => job.labels.n)).toEqual(['3', '9', '15', '21', '27'])
    expect(prodFailed).toMatchObject({ total: 5, limit: 50, offset: 0 })

    const byObject = await engine.jobs.list({ label: { env: 'dev', n: '4' } })
    expect(byObject.items.map((job) => job.labels.n)).toEqual(['4'])

    const all = await engine.jobs.list({ provider: 'test', limit: 1000 })
    expect(all.total).toBe(30)
    expect(all.items[0].labels.n).toBe('29')

    const several = await engine.jobs.list({ status: ['completed', 'failed'], limit: 5000 })
    expect(several).toMatchObject({ total: 30, limit: 1000 })
    expect((await engine.jobs.list({ provider: 'other' })).total).toBe(0)
    expect((await engine.jobs.list({ label: 'env=staging' })).items).toEqual([])
  })

  it('provider and status filters together, and data stored with the old provider index still lists', async () => {
    const storage = createStorage()
    const old = {
      id: '00000000-0000-7000-8000-000000000001',
      provider: 'test',
      action: 'echo',
      input: {},
      status: 'completed',
      mode: 'run',
      labels: {},
      attempt: 1,
      createdAt: new Date(0).toISOString(),
      outputLines: 0,
    }
    // The layout before status entries named the provider.
    await storage.setItem(`jobs:records:${old.id}`, old)
    await storage.setItem(`jobs:index:status:completed:${old.id}`, '')
    await storage.setItem(`jobs:index:provider:test:${old.id}`, '')
    const engine = await startEngine({ storage })
    const fresh = await engine.jobs.wait((await engine.jobs.submit({ provider: 'test', action: 'echo', input: {} })).id)

    expect((await engine.jobs.list({ provider: 'test', order: 'asc' })).items.map((job) => job.id)).toEqual([old.id, fresh.id])
    expect((await engine.jobs.list({ status: 'completed', provider: 'test' })).total).toBe(2)
    expect((await engine.jobs.list({ status: 'failed', provider: 'test' })).total).toBe(0)
    expect(await storage.getKeys('jobs:index:provider')).toEqual([])
    expect(await storage.getKeys('jobs:index:status:completed')).toEqual(
      expect.arrayContaining([`jobs:index:status:completed:test:${old.id}`, `jobs:index:status:completed:test:${fresh.id}`]),
    )
  })

  it('keeps label index keys in their stored form, special characters included', async () => {
    const storage = createStorage()
    const engine = await startEngine({ storage })
    const job = await engine.jobs.wait(
      (await engine.jobs.submit({ provider: 'test', action: 'echo', input: {}, labels: { 'team.name': 'a/b=c*', workflow: 'w-1' } })).id,
    )
    // Data written by earlier versions is found by these exact keys.
    expect((await storage.getKeys('jobs:index:label')).sort()).toEqual([
      `jobs:index:label:team%2Ename%3Da%2Fb%3Dc%2A:${job.id}`,
      `jobs:index:label:workflow%3Dw-1:${job.id}`,
    ])
    expect((await engine.jobs.list({ label: { 'team.name': 'a/b=c*' } })).items.map((each) => each.id)).toEqual([job.id])
  })

  it('lists running and pending jobs with their live state', async () => {
    const engine = await startEngine({ concurrency: 1 })
    const running = await engine.jobs.submit({ provider: 'test', action: 'sleep', input: { ms: 200 } })
    const queued = await engine.jobs.submit({ provider: 'test', action: 'echo', input: {} })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await engine.jobs.list({ status: 'running' })).items.map((job) => job.id)).toEqual([running.id])
    const pending = await engine.jobs.list({ status: 'pending' })
    expect(pending.items.map((job) => job.id)).toEqual([queued.id])
    expect(pending.items[0].waiting).toEqual({ reason: 'concurrency' })
  })
})
