import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkFsStorage, DataDirectoryLockedError, fsStorage, salvageFsStorage } from '../../src'
import { tsProcessArgs } from '../../../../test/helpers/ts-process'
import { tempDir, waitFor } from '../helpers'

const writer = join(import.meta.dirname, 'fixtures', 'shared-writer.ts')

describe('storage: fsStorage opened shared by several processes', () => {
  // One store for the whole file (a `tempDir` is removed after each test), written all along by another process.
  const base = mkdtempSync(join(tmpdir(), 'provisio-shared-'))
  let child: ReturnType<typeof spawn>
  beforeAll(async () => {
    child = spawn(process.execPath, [...tsProcessArgs(writer), base], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise((resolve) => createInterface({ input: child.stdout! }).once('line', resolve))
  })
  afterAll(async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    rmSync(base, { recursive: true, force: true })
  })

  it('opens beside a process that writes it, reading its writes and checking the store as one more reader: a concurrent write is no damage', async () => {
    for (let open = 0; open < 5; open++) {
      const storage = fsStorage({ base, shared: true })
      const first = (await storage.getItem<{ round: number }>('shared:0'))!.round
      // The other process's commits are seen as they land.
      await waitFor(async () => (await storage.getItem<{ round: number }>('shared:0'))!.round > first)
      await storage.setItem(`mine:${open}`, { open })
      await storage.dispose()
    }
  })

  it('refuses a process of its own (exclusive) and a second open in one process while the store is open shared', async () => {
    expect(() => fsStorage({ base })).toThrow(DataDirectoryLockedError)
    expect(() => fsStorage({ base })).toThrow(new RegExp(`is in use by process ${child.pid} \\(registered in ${join(base, 'holders')}\\)`))
    const storage = fsStorage({ base, shared: true })
    try {
      expect(() => fsStorage({ base, shared: true })).toThrow(new RegExp(`is already open in this process \\(pid ${process.pid}\\)`))
    } finally {
      await storage.dispose()
    }
    expect(existsSync(join(base, 'holders', String(process.pid)))).toBe(false)
  })

  it('is checked and salvaged while in use, as of one committed transaction', async () => {
    for (let check = 0; check < 5; check++) {
      const report = checkFsStorage(base)
      expect(report).toMatchObject({ healthy: true, damage: [], openBy: [child.pid] })
      expect(report.keys).toBeGreaterThanOrEqual(64)
    }
    const out = join(tempDir(), 'salvaged')
    const salvaged = await salvageFsStorage(base, out)
    expect(salvaged).toMatchObject({ healthy: true, openBy: [child.pid] })
    const copy = fsStorage({ base: out })
    try {
      expect((await copy.getKeys('shared')).length).toBe(64)
      expect(await copy.getItem('mine:4')).toEqual({ open: 4 })
    } finally {
      await copy.dispose()
    }
  })

  it('is refused to a shared opener while a process has it to itself', async () => {
    const alone = tempDir()
    const storage = fsStorage({ base: alone })
    try {
      expect(() => fsStorage({ base: alone, shared: true })).toThrow(new RegExp(`${alone} is already open in this process`))
      expect(() => checkFsStorage(alone)).toThrow(new RegExp(`${alone} is open in process ${process.pid}: stop it before checking`))
    } finally {
      await storage.dispose()
    }
  })
})
