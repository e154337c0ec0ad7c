import { setTimeout as sleep } from 'node:timers/promises'
import type { Storage } from 'unstorage'
import { expect } from 'vitest'
import { z } from 'zod'
import { createEngine, defineProvider, type Engine } from '../src'

/**
 * A provider that counts the runs of each job, per engine that ran it. Each run waits for
 * `started` (both engines up): the engine that starts first cannot run every job before the
 * other one looks, however the machine schedules the two.
 */
export function countingProvider(runs: Map<string, string[]>, engineName: string, started: Promise<unknown> = Promise.resolve()) {
  return defineProvider({
    name: 'count',
    actions: {
      run: {
        input: z.object({ n: z.number() }),
        run: async (ctx, input) => {
          runs.set(ctx.jobId, [...(runs.get(ctx.jobId) ?? []), engineName])
          await started
          await sleep(1)
          return { n: input.n }
        },
      },
      block: {
        input: z.object({}),
        run: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true })),
      },
    },
  })
}

/**
 * `count` jobs left pending in storage by an engine that stopped before running them:
 * what two engines starting on the same storage both find.
 */
export async function seedPendingJobs(storage: Storage, count: number): Promise<string[]> {
  const seed = createEngine({ storage, providers: [countingProvider(new Map(), 'seed')], concurrency: 1 })
  await seed.start()
  // Holds the only slot, so every job submitted after it stays queued.
  await seed.jobs.submit({ provider: 'count', action: 'block' })
  const ids = []
  for (let n = 0; n < count; n++) ids.push((await seed.jobs.submit({ provider: 'count', action: 'run', input: { n } })).id)
  await seed.stop({ graceMs: 0 })
  return ids
}

/**
 * Two engines start together on storage holding `count` pending jobs, and each
 * submits `count / 2` more while they run: every job runs exactly once.
 * `storageOf(n)` is the storage engine n uses (the same object, or one over the same backend).
 */
export async function expectEachJobRunOnce(storageOf: (n: number) => Storage, count: number, options: { leaseMs?: number } = {}): Promise<void> {
  const seeded = await seedPendingJobs(storageOf(0), count)
  const runs = new Map<string, string[]>()
  let bothStarted!: () => void
  const started = new Promise<void>((resolve) => (bothStarted = resolve))
  const engines: Engine[] = ['a', 'b'].map((name, n) =>
    createEngine({ storage: storageOf(n + 1), providers: [countingProvider(runs, name, started)], concurrency: 8, ...options }),
  )
  try {
    await Promise.all(engines.map((engine) => engine.start()))
    bothStarted()
    const submitted = await Promise.all(
      engines.map((engine, e) =>
        Promise.all(Array.from({ length: count / 2 }, (_, n) => engine.jobs.submit({ provider: 'count', action: 'run', input: { n: count + e * count + n } }))),
      ),
    )
    const all = [...seeded, ...submitted.flat().map((job) => job.id)]
    const finals = await Promise.all(all.map((id) => engines[0].jobs.wait(id)))
    expect(finals.filter((job) => job.status !== 'completed')).toEqual([])
    expect(runs.size).toBe(all.length)
    expect([...runs.entries()].filter(([, by]) => by.length !== 1)).toEqual([])
    // Both engines took some of the jobs they both found at start.
    const seededBy = new Set(seeded.map((id) => runs.get(id)![0]))
    expect(seededBy).toEqual(new Set(['a', 'b']))
    expect((await engines[1].jobs.list({ status: 'completed', limit: 1 })).total).toBe(all.length + 0)
  } finally {
    await Promise.all(engines.map((engine) => engine.stop({ graceMs: 0 })))
  }
}
