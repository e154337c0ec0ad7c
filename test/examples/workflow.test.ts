import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { tsProcessArgs } from '../helpers/ts-process'

const run = promisify(execFile)

describe('examples/workflow.ts', () => {
  it('runs a three-step deploy that fails and rolls back in reverse order', async () => {
    const { stdout } = await run(process.execPath, tsProcessArgs(fileURLToPath(new URL('../../examples/workflow.ts', import.meta.url))), {
      cwd: new URL('../..', import.meta.url),
    })
    const lines = stdout.split('\n')
    const at = (line: string) => lines.indexOf(line)
    expect(at('workflow running')).toBeLessThan(at('  network  running'))
    expect(at('  network  completed')).toBeLessThan(at('  server   running'))
    expect(at('  app      failed')).toBeLessThan(at('workflow rolling_back'))
    expect(at('workflow rolling_back')).toBeLessThan(at('workflow rolled_back'))
    expect(stdout).toContain('result: rolled_back')
    expect(stdout).toContain('error: operation "app" failed: health check of 2.0.0 failed on web-01')
    expect(stdout).toContain('rollback: 2 undone, 0 failed, not reversible: 0')
    expect(stdout).toContain('  network  completed, rolled back')
    expect(stdout).toContain('  server   completed, rolled back')
    expect(stdout).toContain('resources left at the provider: 0')
  })
})
