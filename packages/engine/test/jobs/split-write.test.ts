import { describe, expect, it } from 'vitest'
import { createEngine, JOB_MACHINE_VERSION, memoryStorage } from '../../src'
import { JobStore, type StoredJob } from '../../src/jobs/store'
import { restartProvider } from '../fixtures/restart-provider'

/** A job as a worker that died left it: its record says started, its index entry still says queued. */
async function storeHalfStarted(store: JobStore, id: string, action: string): Promise<void> {
  const queued: StoredJob = {
    id,
    provider: 'restart',
    action,
    input: {},
    status: 'pending',
    mode: 'run',
    labels: {},
    attempt: 0,
    createdAt: new Date().toISOString(),
    outputLines: 0,
    machine: { version: JOB_MACHINE_VERSION, value: 'pending', context: { attempt: 0, maxAttempts: 1 } },
  }
  await store.create(queued)
  // The record alone: no previous status, so the index entry is not moved.
  await store.save(
    {
      ...queued,
      status: 'running',
      attempt: 1,
      startedAt: new Date().toISOString(),
      machine: { ...queued.machine!, value: 'running', context: { attempt: 1, maxAttempts: 1 } },
    },
    undefined,
  )
}

describe('jobs: a worker that died between storing a record and moving its index entry', () => {
  it('is taken over at start like any started job: an idempotent one runs again, another ends interrupted', async () => {
    const storage = memoryStorage()
    const store = new JobStore(storage)
    await storeHalfStarted(store, '019abc00-0000-7000-8000-000000000001', 'slow')
    await storeHalfStarted(store, '019abc00-0000-7000-8000-000000000002', 'slowIdempotent')
    const engine = createEngine({ storage, providers: [restartProvider(10)] })
    await engine.start()
    try {
      expect(await engine.jobs.wait('019abc00-0000-7000-8000-000000000001')).toMatchObject({ status: 'failed', error: { code: 'interrupted' } })
      expect(await engine.jobs.wait('019abc00-0000-7000-8000-000000000002')).toMatchObject({ status: 'completed', attempt: 2 })
      expect((await engine.jobs.list({ status: ['pending', 'running'] })).total).toBe(0)
    } finally {
      await engine.stop()
    }
  })
})
