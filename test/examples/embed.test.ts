import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)

describe('examples/embed.ts', () => {
  it('runs three jobs and prints their output', async () => {
    const { stdout } = await run(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/embed.ts'], { cwd: new URL('../..', import.meta.url) })
    expect(stdout).toContain('creating web-01.example.test -> 192.0.2.10')
    expect(stdout).toContain('creating db-01.example.test -> 192.0.2.20')
    expect(stdout.match(/^completed: /gm)).toHaveLength(3)
    expect(stdout).toContain('3 jobs completed for app=shop')
  })
})
