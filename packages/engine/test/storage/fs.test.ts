import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, expect, it } from 'vitest'
import type { RootDatabase } from 'lmdb'
import { checkFsStorage, createEngine, fsStorage, lmdbDriver } from '../../src'
import { tsProcessArgs } from '../../../../test/helpers/ts-process'
import { tempDir, testProvider } from '../helpers'

const dataFile = (base: string) => join(base, 'data.mdb')

describe('storage: fsStorage', () => {
  it('stores, lists by prefix, reads and removes items', async () => {
    const base = tempDir()
    const storage = fsStorage({ base })
    await storage.setItem('jobs:records:a', { id: 'a' })
    await storage.setItem('jobs:index:status:pending:a', '')
    await storage.setItem('other:thing', 'value')
    expect(await storage.getItem('jobs:records:a')).toEqual({ id: 'a' })
    expect(await storage.getItem('jobs:index:status:pending:a')).toBe('')
    expect(await storage.getKeys('jobs:index:status:pending')).toEqual(['jobs:index:status:pending:a'])
    expect((await storage.getKeys('jobs')).sort()).toEqual(['jobs:index:status:pending:a', 'jobs:records:a'])
    expect((await storage.getKeys('')).sort()).toEqual(['jobs:index:status:pending:a', 'jobs:records:a', 'other:thing'])
    expect(await storage.getKeys('jobs:rec')).toEqual([])
    expect(await storage.getKeys('missing')).toEqual([])
    await storage.removeItem('jobs:records:a')
    await storage.removeItem('never:written')
    expect(await storage.getItem('jobs:records:a')).toBeNull()
    expect(await storage.hasItem('jobs:records:a')).toBe(false)
    expect(await storage.hasItem('other:thing')).toBe(true)
    expect(await storage.getItem('unicode')).toBeNull()
    await storage.setItem('unicode', 'zwölf € 🚀')
    await storage.dispose()
    // What a server stores (password hashes among it) is readable by its owner only.
    expect(statSync(dataFile(base)).mode & 0o777).toBe(0o600)

    const reopened = fsStorage({ base })
    expect((await reopened.getKeys('')).sort()).toEqual(['jobs:index:status:pending:a', 'other:thing', 'unicode'])
    expect(await reopened.getItem('unicode')).toBe('zwölf € 🚀')
    expect(await reopened.getItem('other:thing')).toBe('value')
    await reopened.dispose()
  })

  it('serves a write to reads as soon as it is accepted, before it is durable', async () => {
    const storage = fsStorage({ base: tempDir() })
    const writing = storage.setItem('a:b', { n: 1 })
    expect(await storage.getItem('a:b')).toEqual({ n: 1 })
    expect(await storage.getKeys('a')).toEqual(['a:b'])
    const removing = storage.removeItem('a:b')
    expect(await storage.hasItem('a:b')).toBe(false)
    await Promise.all([writing, removing])
    await storage.dispose()
  })

  it('writes setItems as one batch, clears a base, and flushes on dispose', async () => {
    const base = tempDir()
    const storage = fsStorage({ base })
    await storage.setItems(Array.from({ length: 100 }, (_, n) => ({ key: `batch:${n}`, value: { n } })))
    await storage.setItem('kept', 1)
    expect((await storage.getKeys('batch')).length).toBe(100)
    void storage.setItem('late', 'flushed by dispose')
    await storage.dispose()
    await expect(storage.setItem('after', 1)).rejects.toThrow(/closed/)

    // unstorage's clear(base) skips a driver mounted at the root, so the driver is called directly.
    const driver = lmdbDriver({ base })
    await driver.clear!('batch', {})
    expect((await driver.getKeys('', {})).sort()).toEqual(['kept', 'late'])
    await driver.dispose!()
    const reopened = fsStorage({ base })
    expect((await reopened.getKeys('')).sort()).toEqual(['kept', 'late'])
    expect(await reopened.getItem('late')).toBe('flushed by dispose')
    await reopened.clear()
    expect(await reopened.getKeys('')).toEqual([])
    await reopened.dispose()
  })

  it('resolves a thousand concurrent writes, each durable, in a few transactions', async () => {
    const base = tempDir()
    const storage = fsStorage({ base })
    const started = performance.now()
    await Promise.all(Array.from({ length: 1000 }, (_, n) => storage.setItem(`many:${n}`, { n })))
    // One disk flush per key takes seconds; one per transaction of a burst takes milliseconds.
    expect(performance.now() - started).toBeLessThan(2000)
    await storage.dispose()
    const reopened = fsStorage({ base })
    expect((await reopened.getKeys('many')).length).toBe(1000)
    expect(await reopened.getItem('many:999')).toEqual({ n: 999 })
    await reopened.dispose()
  })

  it('locks its directory: a second open fails until the first is disposed', async () => {
    const base = tempDir()
    const first = fsStorage({ base })
    expect(readFileSync(join(base, 'LOCK'), 'utf8').split('\n')[0]).toBe(String(process.pid))
    expect(() => fsStorage({ base })).toThrow(new RegExp(`${base} is already open in this process \\(pid ${process.pid}\\)`))
    await first.dispose()
    expect(existsSync(join(base, 'LOCK'))).toBe(false)
    const second = fsStorage({ base })
    await second.dispose()
  })

  it('takes over the lock of a process that is gone', async () => {
    const base = tempDir()
    mkdirSync(base, { recursive: true })
    writeFileSync(join(base, 'LOCK'), '999999999\n\n')
    const storage = fsStorage({ base })
    await storage.setItem('a', 1)
    await storage.dispose()
  })

  it('reuses the pages of rewritten values instead of growing (what compaction did for the log)', async () => {
    const base = tempDir()
    const storage = fsStorage({ base })
    const write = (round: number) =>
      storage.setItems(Array.from({ length: 200 }, (_, n) => ({ key: `jobs:records:${n}`, value: { n, round, payload: 'x'.repeat(400) } })))
    await write(0)
    const firstSize = statSync(dataFile(base)).size
    for (let round = 1; round <= 50; round++) await write(round)
    // 50 rewrites of about 100 kB: a log would hold 5 MB until compacted; LMDB frees each old page once no reader needs it.
    expect(statSync(dataFile(base)).size).toBeLessThan(firstSize * 3)
    expect(await storage.getItem('jobs:records:7')).toMatchObject({ n: 7, round: 50 })
    await storage.dispose()
  })

  it('hands out its LMDB root database, where a caller keeps records of its own in a named database, atomically', async () => {
    const base = tempDir()
    const storage = fsStorage({ base })
    await storage.setItem('jobs:records:a', { id: 'a', status: 'pending' })
    const root = storage.getMount('').driver.getInstance!() as RootDatabase
    const claims = root.openDB<{ worker: string }, string>({ name: 'claims', encoding: 'json' })
    const claim = (worker: string) =>
      claims.transaction(() => {
        if (claims.get('a') !== undefined) return false
        claims.put('a', { worker })
        return true
      })
    expect(await Promise.all([claim('w1'), claim('w2')])).toEqual([true, false])
    expect(claims.get('a')).toEqual({ worker: 'w1' })
    // The storage's keys are its own: the named database is not among them, and clear() leaves it be.
    expect(await storage.getKeys('')).toEqual(['jobs:records:a'])
    await storage.clear()
    expect(claims.get('a')).toEqual({ worker: 'w1' })
    await storage.setItem('jobs:records:b', { id: 'b' })
    await storage.dispose()
    // The open check reads the caller's database too, and counts only the storage's entries.
    expect(checkFsStorage(base)).toMatchObject({ healthy: true, keys: 1 })
  })

  it('never applies a torn record when the writer is killed mid-write', async () => {
    const base = tempDir()
    for (let round = 0; round < 2; round++) {
      const child = spawn(process.execPath, [...tsProcessArgs(join(import.meta.dirname, '..', 'fixtures', 'write-loop.ts')), base], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      await new Promise((resolve) => child.stdout.once('data', resolve))
      await new Promise((resolve) => setTimeout(resolve, 150 + round * 70))
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))
      const storage = fsStorage({ base })
      // LMDB commits a transaction whole or not at all: every record is one whole write.
      const keys = await storage.getKeys('records')
      expect(keys.length).toBe(8)
      for (const key of keys) {
        const record = await storage.getItem<{ n: number; payload: string }>(key)
        expect(record?.payload.length).toBe(256 * 1024)
      }
      await storage.dispose()
    }
  })

  it('keeps every acknowledged write of a process killed in a tight write loop, and its lock is released by its death', async () => {
    const base = tempDir()
    const child = spawn(process.execPath, [...tsProcessArgs(join(import.meta.dirname, 'fixtures', 'ack-loop.ts')), base], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    const set = new Set<number>()
    const removed = new Set<number>()
    let killed = false
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith('+')) set.add(Number(line.slice(1)))
      else removed.add(Number(line.slice(1)))
      if (!killed && set.size >= 3000) {
        expect(() => fsStorage({ base })).toThrow(new RegExp(`is in use by process ${child.pid}`))
        child.kill('SIGKILL')
        killed = true
      }
    }
    await exited
    expect(removed.size).toBeGreaterThan(100)

    const storage = fsStorage({ base })
    try {
      let checked = 0
      for (const n of set) {
        // Its removal is issued once acked:n+30 is acknowledged; until that removal is, either state is right.
        const removalInFlight = n % 3 === 0 && set.has(n + 30) && !removed.has(n)
        if (removed.has(n) || removalInFlight) continue
        expect(await storage.getItem(`acked:${n}`), `acked:${n}`).toEqual({ n, payload: 'x'.repeat(n % 700) })
        checked++
      }
      expect(checked).toBeGreaterThan(2000)
      for (const n of removed) expect(await storage.hasItem(`acked:${n}`), `acked:${n} removed`).toBe(false)
    } finally {
      await storage.dispose()
    }
  })

  it('works as the engine storage', async () => {
    const base = tempDir()
    const storage = fsStorage({ base })
    const engine = createEngine({ storage, providers: [testProvider] })
    await engine.start()
    const job = await engine.jobs.submit({ provider: 'test', action: 'echo', input: { lines: ['on disk'] } })
    await engine.jobs.wait(job.id)
    await engine.stop()
    await storage.dispose()
    const again = createEngine({ storage: fsStorage({ base }), providers: [testProvider] })
    await again.start()
    expect(await again.jobs.get(job.id)).toMatchObject({ status: 'completed', outputLines: 1 })
    const lines = []
    for await (const line of again.jobs.output(job.id)) lines.push(line.line)
    expect(lines).toEqual(['on disk'])
    await again.stop()
    await again.storage.dispose()
  })
})
