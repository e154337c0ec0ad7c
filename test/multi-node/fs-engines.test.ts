import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createEngine, fsStorage } from '@provisio/engine'
import { restartProvider } from '../../packages/engine/test/fixtures/restart-provider'
import { takeoverProvider } from '../../packages/engine/test/fixtures/takeover-provider'
import { tempDir } from '../../packages/engine/test/helpers'
import { expectKilledWorkflowContinued, killEngineProcess, marksOf, startEngineProcess } from './engine-process'

describe('engines in several processes on one fs store (opened shared)', () => {
  it('runs each of 1,000 jobs once with two engine processes: 500 queued before they start, 250 submitted by each', async () => {
    const base = tempDir()
    const marks = tempDir()
    // Queued by an engine that stops before running them: both processes find them at start.
    const seedStorage = fsStorage({ base })
    const seed = createEngine({ storage: seedStorage, providers: [takeoverProvider(tempDir(), 60_000)], concurrency: 1 })
    await seed.start()
    // Holds the only slot, so every job submitted after it stays queued.
    await seed.jobs.submit({ provider: 'takeover', action: 'slowStep', input: { name: 'blocker' } })
    const seeded = new Set<string>()
    for (let n = 0; n < 500; n++) seeded.add((await seed.jobs.submit({ provider: 'takeover', action: 'count', input: { n } })).id)
    await seed.stop({ graceMs: 0 })
    await seedStorage.dispose()

    const config = { storage: { kind: 'fs', base }, leaseMs: 5000, marks, scenario: 'jobs', submit: 250 }
    const children = [startEngineProcess(config), startEngineProcess(config)]
    // Both have the store open before either starts its engine.
    expect(await Promise.all(children.map(({ nextLine }) => nextLine()))).toEqual(['ready', 'ready'])
    writeFileSync(join(marks, 'go'), '')
    expect(await Promise.all(children.map(({ nextLine }) => nextLine()))).toEqual(['done', 'done'])

    const runs = marksOf(marks, 'jobs')
    const ranBy = new Map<string, string[]>()
    for (const [pid, id] of runs) ranBy.set(id, [...(ranBy.get(id) ?? []), pid])
    expect(ranBy.size).toBe(1000)
    expect([...ranBy].filter(([, pids]) => pids.length !== 1)).toEqual([])
    // Both processes took some of the jobs they both found queued.
    expect(new Set([...seeded].map((id) => ranBy.get(id)![0])).size).toBe(2)

    const storage = fsStorage({ base })
    const reader = createEngine({ storage })
    expect((await reader.jobs.list({ status: 'completed', limit: 1 })).total).toBe(1000)
    await storage.dispose()
  })

  it('takes over the jobs of an engine process killed with SIGKILL: an idempotent job runs again, another ends interrupted', async () => {
    const base = tempDir()
    const leaseMs = 1000
    const storage = fsStorage({ base, shared: true })
    const survivor = createEngine({ storage, providers: [restartProvider(50)], leaseMs })
    await survivor.start()
    try {
      const { child: worker, nextLine } = startEngineProcess({ storage: { kind: 'fs', base }, leaseMs, marks: tempDir(), scenario: 'killJobs' })
      const ids = JSON.parse(await nextLine()) as { slow: string; idempotent: string }
      expect((await survivor.jobs.get(ids.slow))?.status).toBe('running')
      await killEngineProcess(worker)

      expect(await survivor.jobs.wait(ids.slow)).toMatchObject({ status: 'failed', error: { code: 'interrupted' }, attempt: 1 })
      expect(await survivor.jobs.wait(ids.idempotent)).toMatchObject({ status: 'completed', result: 'idempotent done', attempt: 2 })
      const lines = []
      for await (const { line } of survivor.jobs.output(ids.idempotent)) lines.push(line)
      expect(lines).toEqual(['idempotent attempt 1', 'idempotent attempt 2'])
    } finally {
      await survivor.stop({ graceMs: 0 })
      await storage.dispose()
    }
  })

  it('continues the workflow of an engine process killed with SIGKILL from its stored state: finished operations are not run again', async () => {
    const base = tempDir()
    const storage = fsStorage({ base, shared: true })
    try {
      await expectKilledWorkflowContinued({ kind: 'fs', base }, storage)
    } finally {
      await storage.dispose()
    }
  })
})
