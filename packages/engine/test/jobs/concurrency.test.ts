import { describe, expect, it } from 'vitest'
import type { Engine } from '../../src'
import { startEngine, waitFor } from '../helpers'

/** Tracks how many jobs run at once, overall and per concurrency key. */
function trackRunning(engine: Engine) {
  const running = new Map<string, string | undefined>()
  let maxOverall = 0
  const maxPerKey = new Map<string, number>()
  engine.on('job:status', ({ id, status, job }) => {
    if (status === 'running') running.set(id, job.concurrencyKey)
    else running.delete(id)
    maxOverall = Math.max(maxOverall, running.size)
    const key = job.concurrencyKey
    if (key) {
      const count = [...running.values()].filter((k) => k === key).length
      maxPerKey.set(key, Math.max(maxPerKey.get(key) ?? 0, count))
    }
  })
  return { maxOverall: () => maxOverall, maxOf: (key: string) => maxPerKey.get(key) ?? 0 }
}

describe('jobs: concurrency', () => {
  it('never runs more jobs than the global limit', async () => {
    const engine = await startEngine({ concurrency: 3 })
    const tracker = trackRunning(engine)
    const jobs = await Promise.all(Array.from({ length: 12 }, () => engine.jobs.submit({ provider: 'test', action: 'sleep', input: { ms: 20 } })))
    await Promise.all(jobs.map((job) => engine.jobs.wait(job.id)))
    expect(tracker.maxOverall()).toBe(3)
  })

  it('runs one job per concurrency key at a time while other keys pass', async () => {
    const engine = await startEngine({ concurrency: 8 })
    const tracker = trackRunning(engine)
    const deploys = await Promise.all(
      Array.from({ length: 4 }, () => engine.jobs.submit({ provider: 'test', action: 'sleep', input: { ms: 40 }, concurrencyKey: 'service-a' })),
    )
    const other = await engine.jobs.submit({ provider: 'test', action: 'sleep', input: { ms: 10 }, concurrencyKey: 'service-b' })
    const otherDone = await engine.jobs.wait(other.id)
    // service-b finished while service-a's queue was still working through its jobs.
    const firstDeploys = await Promise.all(deploys.map((job) => engine.jobs.get(job.id)))
    expect(firstDeploys.filter((job) => job?.status === 'completed').length).toBeLessThan(4)
    expect(otherDone.status).toBe('completed')
    const done = await Promise.all(deploys.map((job) => engine.jobs.wait(job.id)))
    expect(tracker.maxOf('service-a')).toBe(1)
    // They ran in submission order.
    const starts = done.map((job) => Date.parse(job.startedAt!))
    expect([...starts].sort((a, b) => a - b)).toEqual(starts)
  })

  it('honours a configured limit per key', async () => {
    const engine = await startEngine({ concurrency: 8, concurrencyKeys: { account: 2 } })
    const tracker = trackRunning(engine)
    const jobs = await Promise.all(
      Array.from({ length: 6 }, () => engine.jobs.submit({ provider: 'test', action: 'sleep', input: { ms: 30 }, concurrencyKey: 'account' })),
    )
    await Promise.all(jobs.map((job) => engine.jobs.wait(job.id)))
    expect(tracker.maxOf('account')).toBe(2)
  })

  it('starts jobs waiting for a global slot in submission order, keyed or not', async () => {
    const engine = await startEngine({ concurrency: 1 })
    const started: string[] = []
    engine.on('job:status', ({ id, status }) => {
      if (status === 'running') started.push(id)
    })
    const first = await engine.jobs.submit({ provider: 'test', action: 'sleep', input: { ms: 50 } })
    const queued = []
    for (let n = 0; n < 6; n++)
      queued.push(await engine.jobs.submit({ provider: 'test', action: 'echo', input: {}, ...(n % 2 ? { concurrencyKey: `key-${n}` } : {}) }))
    await Promise.all(queued.map((job) => engine.jobs.wait(job.id)))
    expect(started).toEqual([first.id, ...queued.map((job) => job.id)])
  })

  it('shows why a queued job waits', async () => {
    const engine = await startEngine({ concurrency: 1 })
    const first = await engine.jobs.submit({ provider: 'test', action: 'sleep', input: { ms: 200 }, concurrencyKey: 'db' })
    const sameKey = await engine.jobs.submit({ provider: 'test', action: 'echo', input: {}, concurrencyKey: 'db' })
    const otherKey = await engine.jobs.submit({ provider: 'test', action: 'echo', input: {}, concurrencyKey: 'web' })
    await waitFor(async () => (await engine.jobs.get(first.id))?.status === 'running')
    expect((await engine.jobs.get(sameKey.id))?.waiting).toEqual({ reason: 'concurrencyKey', key: 'db' })
    expect((await engine.jobs.get(otherKey.id))?.waiting).toEqual({ reason: 'concurrency' })
    await engine.jobs.wait(sameKey.id)
    expect((await engine.jobs.get(sameKey.id))?.waiting).toBeUndefined()
  })
})

describe('jobs: a burst of quick jobs', () => {
  it('lets timers and I/O run while it goes on, and stores each job as it ends', async () => {
    const engine = await startEngine({ concurrency: 8 })
    let completed = 0
    engine.on('job:status', ({ status }) => {
      if (status === 'completed') completed++
    })
    let completedWhenTimerFired: number | undefined
    setTimeout(() => (completedWhenTimerFired = completed), 0)
    const jobs = await Promise.all(Array.from({ length: 2000 }, () => engine.jobs.submit({ provider: 'test', action: 'echo', input: {} })))
    await Promise.all(jobs.map((job) => engine.jobs.wait(job.id)))
    expect(completed).toBe(2000)
    // Without a turn of the event loop between them, all 2,000 would end before the timer could fire.
    expect(completedWhenTimerFired).toBeGreaterThan(0)
    expect(completedWhenTimerFired).toBeLessThan(2000)
    expect((await engine.jobs.list({ status: 'completed', limit: 1 })).total).toBe(2000)
  })
})
