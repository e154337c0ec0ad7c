import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createEngine, fsStorage } from '../../src'
import { tempDir, testProvider } from '../helpers'

const tsxArgs = ['--conditions=source', '--import', 'tsx']

describe('storage: fsStorage', () => {
  it('stores, lists by prefix, reads and removes items', async () => {
    const base = tempDir()
    const storage = fsStorage({ base })
    await storage.setItem('jobs:records:a', { id: 'a' })
    await storage.setItem('jobs:index:status:pending:a', '')
    await storage.setItem('other:thing', 'value')
    expect(await storage.getItem('jobs:records:a')).toEqual({ id: 'a' })
    expect(await storage.getKeys('jobs:index:status:pending')).toEqual(['jobs:index:status:pending:a'])
    expect((await storage.getKeys('jobs')).sort()).toEqual(['jobs:index:status:pending:a', 'jobs:records:a'])
    expect(await storage.getKeys('missing')).toEqual([])
    expect(readFileSync(join(base, 'jobs', 'records', 'a'), 'utf8')).toBe('{"id":"a"}')
    await storage.removeItem('jobs:records:a')
    expect(await storage.getItem('jobs:records:a')).toBeNull()
    expect(await storage.hasItem('other:thing')).toBe(true)
  })

  it('refuses keys that would leave the base directory', async () => {
    const storage = fsStorage({ base: tempDir() })
    await expect(storage.setItem('a:..:b', 'x')).rejects.toThrow(/invalid key/i)
  })

  it('never leaves a torn record when the writer is killed mid-write', async () => {
    const base = tempDir()
    for (let round = 0; round < 2; round++) {
      const child = spawn(process.execPath, [...tsxArgs, join(import.meta.dirname, '..', 'fixtures', 'write-loop.ts'), base], { stdio: ['ignore', 'pipe', 'inherit'] })
      await new Promise((resolve) => child.stdout.once('data', resolve))
      await new Promise((resolve) => setTimeout(resolve, 150 + round * 70))
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))
      const storage = fsStorage({ base })
      const keys = await storage.getKeys('records')
      expect(keys.length).toBe(8)
      for (const key of keys) {
        const record = await storage.getItem<{ n: number; payload: string }>(key)
        expect(record?.payload.length).toBe(256 * 1024)
      }
      // Temp files of interrupted writes are not keys.
      expect(readdirSync(join(base, 'records')).length).toBeGreaterThanOrEqual(8)
    }
  })

  it('works as the engine storage', async () => {
    const base = tempDir()
    const engine = createEngine({ storage: fsStorage({ base }), providers: [testProvider] })
    await engine.start()
    const job = await engine.jobs.submit({ provider: 'test', action: 'echo', input: { lines: ['on disk'] } })
    await engine.jobs.wait(job.id)
    await engine.stop()
    const again = createEngine({ storage: fsStorage({ base }), providers: [testProvider] })
    await again.start()
    expect(await again.jobs.get(job.id)).toMatchObject({ status: 'completed', outputLines: 1 })
    const lines = []
    for await (const line of again.jobs.output(job.id)) lines.push(line.line)
    expect(lines).toEqual(['on disk'])
    await again.stop()
  })
})
