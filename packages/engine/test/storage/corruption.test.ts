import { createHash } from 'node:crypto'
import { appendFileSync, existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkFsStorage, fsStorage, salvageFsStorage, StorageCorruptionError, type FsStorageOptions } from '../../src'
import { tempDir } from '../helpers'

const segment = (base: string, id = 1) => join(base, `${String(id).padStart(8, '0')}.log`)
const key = (n: number) => `users:${String(n).padStart(3, '0')}`
const value = (n: number) => `user ${String(n).padStart(3, '0')} ${'x'.repeat(80)}`
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, n) => from + n)
// Every record is the same size, so record n of a segment starts at a known byte.
const HEADER = 8
const RECORD = 11 + key(0).length + value(0).length
// 9 records fill a segment of 1000 bytes: user n is record n % 9 of segment n / 9 + 1.
const SMALL_SEGMENTS = { segmentBytes: 1000 }
const recordAt = (index: number) => HEADER + index * RECORD

async function storeOf(count: number, options: Partial<FsStorageOptions> = {}): Promise<string> {
  const base = tempDir()
  const storage = fsStorage({ base, ...options })
  await storage.setItems(range(0, count).map((n) => ({ key: key(n), value: value(n) })))
  await storage.dispose()
  return base
}

function damage(file: string, at: number, change: (bytes: Buffer) => void): void {
  const bytes = readFileSync(file)
  change(bytes.subarray(at))
  writeFileSync(file, bytes)
}

// Digests: a deep comparison of large buffers is slow, byte by byte.
const snapshot = (base: string) => new Map(readdirSync(base).map((name) => [name, createHash('sha256').update(readFileSync(join(base, name))).digest('hex')]))

/** Opening fails with a corruption error naming the file, byte and reason, and leaves every file as it was. */
function expectRefused(base: string, file: string, offset: number, reason: RegExp): void {
  const before = snapshot(base)
  let error: unknown
  try {
    fsStorage({ base })
  } catch (thrown) {
    error = thrown
  }
  expect(error).toBeInstanceOf(StorageCorruptionError)
  expect(error).toMatchObject({ code: 'storage_corrupt', file, offset })
  const { message } = error as StorageCorruptionError
  expect(message).toContain(`${file} is corrupt at byte ${offset}: `)
  expect(message).toMatch(reason)
  expect(message).toContain('provisio storage salvage --data-dir DIR --out NEWDIR')
  expect(snapshot(base)).toEqual(before)
}

/** Salvages into a new directory, which then opens with exactly these users and their values. */
async function expectSalvaged(base: string, users: number[]) {
  const out = join(tempDir(), 'salvaged')
  const report = await salvageFsStorage(base, out)
  expect(report.copied).toBe(users.length)
  const storage = fsStorage({ base: out })
  try {
    expect((await storage.getKeys('users')).sort()).toEqual(users.map(key))
    for (const n of users) expect(await storage.getItem(key(n))).toBe(value(n))
  } finally {
    await storage.dispose()
  }
  return report
}

describe('storage: corruption is refused, never truncated away', () => {
  it.each([
    ['a value byte', 40, /record of \d+ bytes fails its CRC32 check, and an intact record follows at byte \d+, so a crash did not cause it/],
    ['the checksum', 0, /fails its CRC32 check/],
    ['the type byte', 4, /no record starts here \(its type byte is 254, not 1 or 2\), and an intact record follows/],
    ['a length byte', 9, /record of \d+ bytes runs past the end of the file \(\d+ bytes left\), and an intact record follows/],
  ])('refuses a flipped byte (%s) in the middle of the active segment; salvage copies the other 125 users', async (_, within, reason) => {
    const base = await storeOf(126)
    damage(segment(base), recordAt(60) + within, (bytes) => (bytes[0] ^= 0xff))
    expectRefused(base, segment(base), recordAt(60), reason)

    const report = checkFsStorage(base)
    expect(report).toMatchObject({ healthy: false, records: 125, keys: 125 })
    expect(report.damage).toEqual([{ file: segment(base), offset: recordAt(60), length: RECORD, reason: expect.stringMatching(reason) }])
    expect(report.segments).toEqual([{ file: segment(base), bytes: recordAt(126), records: 125, damage: report.damage }])

    const salvaged = await expectSalvaged(base, [...range(0, 60), ...range(61, 126)])
    expect(salvaged.damage).toEqual(report.damage)
  })

  it('refuses a truncated sealed segment; salvage copies every user outside the lost bytes', async () => {
    const base = await storeOf(40, SMALL_SEGMENTS)
    // Cut in the middle of segment 2's fifth record (user 13): users 13 to 17 are gone.
    truncateSync(segment(base, 2), recordAt(4) + 50)
    expectRefused(base, segment(base, 2), recordAt(4), /record of \d+ bytes runs past the end of the file \(50 bytes left\), in a sealed segment, which a crash cannot tear/)
    expect(checkFsStorage(base)).toMatchObject({ healthy: false, records: 35, keys: 35, damage: [{ offset: recordAt(4), length: 50 }] })
    await expectSalvaged(base, [...range(0, 13), ...range(18, 40)])
  })

  it('refuses an empty segment file instead of taking it for a new store', async () => {
    const base = await storeOf(126)
    truncateSync(segment(base), 0)
    expectRefused(base, segment(base), 0, /the file is empty \(a segment starts with a 8-byte header\)/)
    expect(checkFsStorage(base)).toMatchObject({ healthy: false, records: 0, damage: [{ offset: 0, length: 0 }] })
    await expectSalvaged(base, [])

    const sealed = await storeOf(40, SMALL_SEGMENTS)
    truncateSync(segment(sealed, 2), 0)
    expectRefused(sealed, segment(sealed, 2), 0, /the file is empty/)
    await expectSalvaged(sealed, [...range(0, 9), ...range(18, 40)])
  })

  it('refuses a segment cut short within its header or with a header of no known format', async () => {
    const base = await storeOf(40, SMALL_SEGMENTS)
    truncateSync(segment(base, 5), 3)
    expectRefused(base, segment(base, 5), 0, /the file ends within the 8-byte segment header \(3 bytes\)/)

    const overwritten = await storeOf(40, SMALL_SEGMENTS)
    damage(segment(overwritten, 3), 0, (bytes) => bytes.write('garbage!'))
    expectRefused(overwritten, segment(overwritten, 3), 0, /does not start with a segment header \(PVLOG, format 1\)/)
    // Only the header is lost: every record behind it is read.
    await expectSalvaged(overwritten, range(0, 40))

    const newer = await storeOf(3)
    damage(segment(newer), 7, (bytes) => (bytes[0] = 2))
    expect(() => fsStorage({ base: newer })).toThrow(/00000001\.log is of segment format 2, newer than this version reads \(1\)/)
  })

  it('reports several damaged ranges and salvages around all of them', async () => {
    const base = await storeOf(40, SMALL_SEGMENTS)
    damage(segment(base, 1), recordAt(2) + 30, (bytes) => (bytes[0] ^= 1))
    damage(segment(base, 3), recordAt(0) + 4, (bytes) => bytes.fill(0, 0, RECORD * 2))
    damage(segment(base, 5), recordAt(3) + 20, (bytes) => (bytes[0] ^= 1))
    const report = checkFsStorage(base)
    expect(report.damage.map(({ file, offset, length }) => [file, offset, length])).toEqual([
      [segment(base, 1), recordAt(2), RECORD],
      [segment(base, 3), recordAt(0), RECORD * 3],
      // The last record of the newest segment: a torn write, not damage.
    ])
    expect(report.segments[4].tornTail).toMatchObject({ offset: recordAt(3), length: RECORD })
    await expectSalvaged(base, [...range(0, 2), ...range(3, 18), ...range(21, 39)])
  })
})

describe('storage: salvage resynchronises', () => {
  it('past a run of random bytes over many records, keeping every record outside it', async () => {
    const base = await storeOf(999)
    const from = recordAt(300) + 37
    const to = from + 64 * 1024
    // xorshift: the same garbage on every run.
    let state = 0x9e3779b9
    damage(segment(base), from, (bytes) => {
      for (let n = 0; n < to - from; n++) {
        state ^= state << 13
        state ^= state >>> 17
        state ^= state << 5
        bytes[n] = state & 0xff
      }
    })
    const first = Math.floor((from - HEADER) / RECORD)
    const last = Math.floor((to - 1 - HEADER) / RECORD)
    expectRefused(base, segment(base), recordAt(first), /and an intact record follows at byte/)
    const started = performance.now()
    const report = checkFsStorage(base)
    expect(performance.now() - started).toBeLessThan(5000)
    expect(report.damage.map(({ offset, length }) => ({ offset, length }))).toEqual([{ offset: recordAt(first), length: recordAt(last + 1) - recordAt(first) }])
    await expectSalvaged(base, [...range(0, first), ...range(last + 1, 999)])
  })

  it('past a damaged record larger than the scan buffer', async () => {
    const base = tempDir()
    const storage = fsStorage({ base })
    const big = (n: number) => `v${n}`.repeat(768 * 1024)
    for (const n of range(0, 5)) await storage.setItem(`big:${n}`, big(n))
    await storage.dispose()
    const second = HEADER + 11 + 'big:0'.length + big(0).length
    damage(segment(base), second + 1024 * 1024 + 17, (bytes) => (bytes[0] ^= 1))
    expectRefused(base, segment(base), second, /fails its CRC32 check, and an intact record follows/)
    const out = join(tempDir(), 'salvaged')
    expect(await salvageFsStorage(base, out)).toMatchObject({ copied: 4, damage: [{ offset: second, length: second - HEADER }] })
    const salvaged = fsStorage({ base: out })
    expect((await salvaged.getKeys('big')).sort()).toEqual(['big:0', 'big:2', 'big:3', 'big:4'])
    for (const n of [0, 2, 3, 4]) expect(await salvaged.getItem(`big:${n}`)).toBe(big(n))
    await salvaged.dispose()
  })
})

describe('storage: a torn write at the end of the log is still recovered', () => {
  it('truncates a record cut short at the end of the last segment holding records when newer ones hold only their header', async () => {
    const base = await storeOf(13, SMALL_SEGMENTS)
    // The writer was killed while its last records went to segment 2 and segment 3 had just been created.
    truncateSync(segment(base, 2), recordAt(3) + 20)
    writeFileSync(segment(base, 3), readFileSync(segment(base, 1)).subarray(0, HEADER))
    expect(checkFsStorage(base)).toMatchObject({ healthy: true, records: 12, keys: 12, damage: [] })

    const storage = fsStorage({ base })
    expect((await storage.getKeys('users')).sort()).toEqual(range(0, 12).map(key))
    await storage.setItem('users:new', 'after the crash')
    await storage.dispose()
    expect(readFileSync(segment(base, 2)).length).toBe(recordAt(3))
    const reopened = fsStorage({ base })
    expect(await reopened.getItem('users:new')).toBe('after the crash')
    expect((await reopened.getKeys('users')).length).toBe(13)
    await reopened.dispose()
  })

  it('refuses the same cut when a newer segment holds a record', async () => {
    const base = await storeOf(20, SMALL_SEGMENTS)
    truncateSync(segment(base, 2), recordAt(3) + 20)
    expectRefused(base, segment(base, 2), recordAt(3), /runs past the end of the file \(20 bytes left\), in a sealed segment/)
  })

  it('creates segments with their header in place; a leftover of an interrupted creation is neither data nor legacy', async () => {
    const base = tempDir()
    appendFileSync(join(base, '00000001.log.new'), 'PVL')
    const storage = fsStorage({ base, segmentBytes: 1000 })
    await storage.setItems(range(0, 20).map((n) => ({ key: key(n), value: value(n) })))
    await storage.dispose()
    expect(readdirSync(base).sort()).toEqual(['00000001.log', '00000002.log', '00000003.log'])
    expect(existsSync(join(base, 'legacy'))).toBe(false)
  })
})

describe('storage: check and salvage', () => {
  it('reports a healthy store and copies it whole', async () => {
    const base = tempDir()
    const storage = fsStorage({ base, segmentBytes: 1000 })
    await storage.setItems(range(0, 30).map((n) => ({ key: key(n), value: value(n) })))
    for (const n of range(0, 5)) await storage.removeItem(key(n))
    await storage.setItem(key(5), value(5))
    await storage.dispose()
    const report = checkFsStorage(base)
    expect(report).toMatchObject({ dir: base, healthy: true, keys: 25, damage: [] })
    await expectSalvaged(base, range(5, 30))
  })

  it('refuses a directory open in a running process, and a target that is not empty', async () => {
    const base = await storeOf(3)
    const open = fsStorage({ base })
    expect(() => checkFsStorage(base)).toThrow(new RegExp(`${base} is open in process ${process.pid}: stop it before checking or salvaging`))
    await open.dispose()
    const out = tempDir()
    writeFileSync(join(out, 'something'), '')
    await expect(salvageFsStorage(base, out)).rejects.toThrow(/already exists and is not an empty directory/)
    expect(() => checkFsStorage(join(base, 'missing'))).toThrow(/missing does not exist/)
  })
})
