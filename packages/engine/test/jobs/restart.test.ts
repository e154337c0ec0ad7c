import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createEngine, fsStorage } from '../../src'
import { restartProvider } from '../fixtures/restart-provider'
import { tsProcessArgs } from '../../../../test/helpers/ts-process'
import { tempDir } from '../helpers'

describe('jobs: restart', () => {
  it('after a SIGKILL, keeps every acknowledged job; running jobs end interrupted or rerun, queued jobs run', async () => {
    const base = tempDir()
    const child = spawn(process.execPath, [...tsProcessArgs(join(import.meta.dirname, '..', 'fixtures', 'restart-child.ts')), base], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const completed: Array<{ completed: string; n: number }> = []
    let ready: { slow: string; idempotent: string; queued: string[] } | undefined
    for await (const line of createInterface({ input: child.stdout })) {
      const message = JSON.parse(line)
      if (message.ready) {
        ready = message
        break
      }
      completed.push(message)
    }
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    expect(completed.length).toBe(20)

    const engine = createEngine({ storage: fsStorage({ base }), providers: [restartProvider(10)], concurrency: 2 })
    await engine.start()
    try {
      for (const { completed: id, n } of completed) {
        expect(await engine.jobs.get(id)).toMatchObject({ status: 'completed', result: { n }, outputLines: 1 })
        const lines = []
        for await (const { line } of engine.jobs.output(id)) lines.push(line)
        expect(lines).toEqual([`quick ${n}`])
      }
      const slow = await engine.jobs.wait(ready!.slow)
      expect(slow).toMatchObject({ status: 'failed', error: { code: 'interrupted' }, attempt: 1 })
      const idempotent = await engine.jobs.wait(ready!.idempotent)
      expect(idempotent).toMatchObject({ status: 'completed', result: 'idempotent done', attempt: 2 })
      const outputs = []
      for await (const { line } of engine.jobs.output(ready!.idempotent)) outputs.push(line)
      expect(outputs).toEqual(['idempotent attempt 1', 'idempotent attempt 2'])
      for (const id of ready!.queued) expect((await engine.jobs.wait(id)).status).toBe('completed')
      const all = await engine.jobs.list({ limit: 100 })
      expect(all.total).toBe(25)
      expect((await engine.jobs.list({ status: ['pending', 'running', 'retrying'] })).total).toBe(0)
    } finally {
      await engine.stop()
    }
  })
})
