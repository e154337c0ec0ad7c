import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, fsStorage } from '../../src'
import { tsProcessArgs } from '../../../../test/helpers/ts-process'
import { markerProvider } from './fixtures/marker'

const child = fileURLToPath(new URL('./fixtures/restart-child.ts', import.meta.url))
const root = fileURLToPath(new URL('../../../..', import.meta.url))
let dir: string
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const lines = (file: string) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean)
  } catch {
    return []
  }
}

describe('workflows: restart', () => {
  it('should finish a workflow after SIGKILL without re-running completed operations', async () => {
    dir = mkdtempSync(join(tmpdir(), 'provisio-restart-'))
    const data = join(dir, 'data')
    const log = join(dir, 'runs.log')
    const proc = spawn(process.execPath, [...tsProcessArgs(child), data, log], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    proc.stdout.on('data', (chunk) => (stdout += chunk))
    const exited = new Promise((resolve) => proc.on('exit', (_code, signal) => resolve(signal)))
    // Kill it while the slow operation `c` runs: a, b and e have completed by then.
    for (let waited = 0; !lines(log).includes('c'); waited += 20) {
      if (waited > 20_000) throw new Error(`the child never reached operation c: ${stdout}`)
      await sleep(20)
    }
    await sleep(50)
    proc.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    const id = stdout.trim()
    expect(lines(log).sort()).toEqual(['a', 'b', 'c', 'e'])

    const engine = createEngine({ storage: fsStorage({ base: data }), providers: [markerProvider(log, 5)] })
    await engine.start()
    try {
      const done = await engine.workflows.wait(id)
      expect(done.status).toBe('completed')
      expect(Object.fromEntries(done.operations.map((operation) => [operation.id, operation.status]))).toEqual({
        a: 'completed',
        b: 'completed',
        c: 'completed',
        d: 'completed',
        e: 'completed',
      })
      // c was interrupted and run again by its own job; nothing that completed ran twice.
      expect(lines(log).sort()).toEqual(['a', 'b', 'c', 'c', 'd', 'e'])
      for (const operation of ['a', 'b', 'c', 'd', 'e']) {
        expect((await engine.jobs.list({ label: { workflow: id, operation } })).total, operation).toBe(1)
      }
      const history = (await engine.workflows.snapshots(id)).map((snapshot) => [snapshot.state, snapshot.details.event])
      expect(history).toEqual([
        ['pending', 'workflow.submitted'],
        ['running', 'workflow.start'],
        ['running', 'workflow.resumed'],
        ['completed', 'operations.settled'],
      ])
    } finally {
      await engine.stop({ graceMs: 0 })
    }
  })
})
