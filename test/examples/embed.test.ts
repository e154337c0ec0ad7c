import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { tsProcessArgs } from '../helpers/ts-process'

const run = promisify(execFile)

describe('examples/embed.ts', () => {
  it('runs three jobs and prints their output', async () => {
    const { stdout } = await run(process.execPath, tsProcessArgs(fileURLToPath(new URL('../../examples/embed.ts', import.meta.url))), {
      cwd: new URL('../..', import.meta.url),
    })
    expect(stdout).toContain('creating web-01.example.test -> 192.0.2.10')
    expect(stdout).toContain('creating db-01.example.test -> 192.0.2.20')
    expect(stdout.match(/^completed: /gm)).toHaveLength(3)
    expect(stdout).toContain('3 jobs completed for app=shop')
  })
})
