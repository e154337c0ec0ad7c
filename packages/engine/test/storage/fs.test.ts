import { spawn } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, expect, it } from 'vitest'
import { createEngine, fsLogDriver, fsStorage } from '../../src'
import { tempDir, testProvider } from '../helpers'

const tsxArgs = ['--conditions=source', '--import', 'tsx']
const segment = (base: string, id = 1) => join(base, `${String(id).padStart(8, '0')}.log`)

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
    expect(statSync(segment(base)).mode & 0o777).toBe(0o600)

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
    const driver = fsLogDriver({ base })
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

  it('resolves a thousand concurrent writes, each durable, in a few group commits', async () => {
    const base = tempDir()
    const storage = fsStorage({ base })
    const started = performance.now()
    await Promise.all(Array.from({ length: 1000 }, (_, n) => storage.setItem(`many:${n}`, { n })))
    // One file write and flush per key took seconds; a group commit takes milliseconds.
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

  it('truncates a torn tail on open and keeps every record before it', async () => {
    const base = tempDir()
    const storage = fsStorage({ base })
    for (const n of [1, 2, 3]) await storage.setItem(`k:${n}`, { n })
    await storage.dispose()
    const intact = statSync(segment(base)).size

    // A record cut short: a header that promises more bytes than follow.
    appendFileSync(segment(base), Buffer.from([1, 2, 3, 4, 1, 3, 0, 100, 0, 0, 0, 0x6b, 0x3a]))
    let reopened = fsStorage({ base })
    expect(statSync(segment(base)).size).toBe(intact)
    expect((await reopened.getKeys('k')).sort()).toEqual(['k:1', 'k:2', 'k:3'])
    await reopened.setItem('k:4', { n: 4 })
    await reopened.dispose()

    // A complete record whose bytes were damaged: its CRC no longer matches.
    const bytes = readFileSync(segment(base))
    bytes[bytes.length - 2] ^= 0xff
    writeFileSync(segment(base), bytes)
    reopened = fsStorage({ base })
    expect((await reopened.getKeys('k')).sort()).toEqual(['k:1', 'k:2', 'k:3'])
    expect(await reopened.getItem('k:3')).toEqual({ n: 3 })
    await reopened.dispose()
  })

  it('refuses to open a sealed segment that is damaged in the middle', async () => {
    const base = tempDir()
    const storage = fsStorage({ base, segmentBytes: 200 })
    for (let n = 0; n < 10; n++) await storage.setItem(`k:${n}`, 'x'.repeat(100))
    await storage.dispose()
    const bytes = readFileSync(segment(base, 2))
    bytes[20] ^= 0xff
    writeFileSync(segment(base, 2), bytes)
    expect(() => fsStorage({ base })).toThrow(/00000002\.log is corrupt at byte 8/)
    // The failed open released the lock.
    expect(existsSync(join(base, 'LOCK'))).toBe(false)
  })

  it('imports a directory of the old one-file-per-key layout once, moving the files into legacy/', async () => {
    const base = tempDir()
    mkdirSync(join(base, 'jobs', 'records'), { recursive: true })
    mkdirSync(join(base, 'jobs', 'index', 'status', 'pending'), { recursive: true })
    writeFileSync(join(base, 'jobs', 'records', 'a'), '{"id":"a"}')
    writeFileSync(join(base, 'jobs', 'records', 'b.tmp-0123456789ab'), '{"id":"b","torn')
    writeFileSync(join(base, 'jobs', 'index', 'status', 'pending', 'a'), '')
    writeFileSync(join(base, 'top'), 'level')

    const storage = fsStorage({ base })
    expect((await storage.getKeys('')).sort()).toEqual(['jobs:index:status:pending:a', 'jobs:records:a', 'top'])
    expect(await storage.getItem('jobs:records:a')).toEqual({ id: 'a' })
    expect(existsSync(join(base, 'legacy', 'jobs', 'records', 'a'))).toBe(true)
    expect(existsSync(join(base, 'jobs'))).toBe(false)
    await storage.removeItem('top')
    await storage.dispose()

    // Imported once: the legacy files are a backup now, and a removal sticks.
    const reopened = fsStorage({ base })
    expect((await reopened.getKeys('')).sort()).toEqual(['jobs:index:status:pending:a', 'jobs:records:a'])
    await reopened.dispose()
  })

  it('never applies a torn record when the writer is killed mid-write', async () => {
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
      await storage.dispose()
    }
  })

  it('keeps every acknowledged write of a process killed in a tight write loop, and its lock is released by its death', async () => {
    const base = tempDir()
    const child = spawn(process.execPath, [...tsxArgs, join(import.meta.dirname, 'fixtures', 'ack-loop.ts'), base], { stdio: ['ignore', 'pipe', 'inherit'] })
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
