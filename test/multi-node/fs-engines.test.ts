import { type ChildProcessByStdio, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createEngine, fsStorage } from '@provisio/engine'
import { restartProvider } from '../../packages/engine/test/fixtures/restart-provider'
import { takeoverProvider } from '../../packages/engine/test/fixtures/takeover-provider'
import { tempDir } from '../../packages/engine/test/helpers'

const engineChild = new URL('../../packages/engine/test/fixtures/engine-child.ts', import.meta.url).pathname
const tsx = ['--conditions=source', '--import', 'tsx']

/** Spawns an engine process on `base`, opened shared, and resolves with its first line of output. */
function startChild(config: Record<string, unknown>): { child: ChildProcessByStdio<null, Readable, null>; firstLine: Promise<string> } {
  const child = spawn(process.execPath, [...tsx, engineChild, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const firstLine = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`the engine process exited (${code}) before reporting`)))
  })
  return { child, firstLine }
}

const marksOf = (marks: string, name: string) =>
  readFileSync(join(marks, name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '))

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
    const children = [startChild(config), startChild(config)]
    expect(await Promise.all(children.map(({ firstLine }) => firstLine))).toEqual(['done', 'done'])

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
      const { child: worker, firstLine } = startChild({ storage: { kind: 'fs', base }, leaseMs, marks: tempDir(), scenario: 'killJobs' })
      const ids = JSON.parse(await firstLine) as { slow: string; idempotent: string }
      expect((await survivor.jobs.get(ids.slow))?.status).toBe('running')
      worker.kill('SIGKILL')
      await new Promise((resolve) => worker.once('exit', resolve))

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
    const marks = tempDir()
    const leaseMs = 1000
    const { child, firstLine } = startChild({ storage: { kind: 'fs', base }, leaseMs, marks, scenario: 'workflow' })
    const workflowId = await firstLine
    const storage = fsStorage({ base, shared: true })
    const survivor = createEngine({ storage, providers: [takeoverProvider(marks, 50)], leaseMs })
    await survivor.start()
    try {
      // Held by the live process: the survivor leaves it be.
      expect((await survivor.workflows.get(workflowId))?.status).toBe('running')
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))

      const done = await survivor.workflows.wait(workflowId)
      expect(done.status).toBe('completed')
      expect(done.operations.map((operation) => [operation.id, operation.status])).toEqual([
        ['first', 'completed'],
        ['slow', 'completed'],
        ['last', 'completed'],
      ])
      // `first` ran once, in the killed process; `slow` ran there, then again here (it is idempotent); `last` ran here.
      expect(marksOf(marks, 'first')).toEqual([[String(child.pid), '1']])
      expect(marksOf(marks, 'slow')).toEqual([
        [String(child.pid), '1'],
        [String(process.pid), '2'],
      ])
      expect(marksOf(marks, 'last')).toEqual([[String(process.pid), '1']])
      expect((await survivor.workflows.snapshots(workflowId)).map((snapshot) => snapshot.details.event)).toContain('workflow.resumed')
    } finally {
      await survivor.stop({ graceMs: 0 })
      await storage.dispose()
    }
  })
})
