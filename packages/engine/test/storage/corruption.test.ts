import { createHash } from 'node:crypto'
import { existsSync, openSync, closeSync, readdirSync, readFileSync, truncateSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkFsStorage, fsStorage, salvageFsStorage, StorageCorruptionError } from '../../src'
import { tempDir } from '../helpers'

const PAGE = 4096
const dataFile = (base: string) => join(base, 'data.mdb')
const key = (n: number) => `users:${String(n).padStart(3, '0')}`
const value = (n: number) => `user ${String(n).padStart(3, '0')} ${'x'.repeat(80)}`
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, n) => from + n)

/** A store of `count` users, written in one transaction: each value is in the file once. */
async function storeOf(count: number, big: number[] = []): Promise<string> {
  const base = tempDir()
  const storage = fsStorage({ base })
  await storage.setItems(range(0, count).map((n) => ({ key: key(n), value: big.includes(n) ? value(n).repeat(200) : value(n) })))
  await storage.dispose()
  return base
}

/** Where user n's value text starts in the data file (its 4-byte checksum is just before). */
function valueAt(base: string, n: number): number {
  const bytes = readFileSync(dataFile(base))
  const at = bytes.indexOf(value(n))
  expect(at).toBeGreaterThan(0)
  return at
}

function flip(base: string, at: number, mask = 0x20): void {
  const bytes = readFileSync(dataFile(base))
  bytes[at] ^= mask
  writeFileSync(dataFile(base), bytes)
}

// Digests: a deep comparison of large buffers is slow, byte by byte.
const snapshot = (base: string) =>
  new Map(
    readdirSync(base).map((name) => [
      name,
      createHash('sha256')
        .update(readFileSync(join(base, name)))
        .digest('hex'),
    ]),
  )

/** Opening fails with a corruption error naming the data file, byte and reason, leaves every file as it was and releases the lock. */
function expectRefused(base: string, offset: number, reason: RegExp): void {
  const before = snapshot(base)
  let error: unknown
  try {
    fsStorage({ base })
  } catch (thrown) {
    error = thrown
  }
  expect(error).toBeInstanceOf(StorageCorruptionError)
  expect(error).toMatchObject({ code: 'storage_corrupt', file: dataFile(base), offset })
  const { message } = error as StorageCorruptionError
  expect(message).toContain(`${dataFile(base)} is corrupt at byte ${offset}: `)
  expect(message).toMatch(reason)
  expect(message).toContain('provisio storage salvage --data-dir DIR --out NEWDIR')
  expect(snapshot(base)).toEqual(before)
  expect(existsSync(join(base, 'LOCK'))).toBe(false)
}

/** Salvages into a new directory, which then opens with exactly these users and their values. */
async function expectSalvaged(base: string, users: number[], big: number[] = []) {
  const out = join(tempDir(), 'salvaged')
  const report = await salvageFsStorage(base, out)
  expect(report.copied).toBe(users.length)
  const storage = fsStorage({ base: out })
  try {
    expect((await storage.getKeys('users')).sort()).toEqual(users.map(key))
    for (const n of users) expect(await storage.getItem(key(n))).toBe(big.includes(n) ? value(n).repeat(200) : value(n))
  } finally {
    await storage.dispose()
  }
  return report
}

/** The users a salvage kept: all but one run that holds `lost`, as a damaged page loses its neighbours too. */
async function salvagedAround(base: string, count: number, lost: number): Promise<number[]> {
  const out = join(tempDir(), 'salvaged')
  const report = await salvageFsStorage(base, out)
  const storage = fsStorage({ base: out })
  try {
    const kept = (await storage.getKeys('users')).map((k) => Number(k.slice('users:'.length))).sort((a, b) => a - b)
    expect(kept).not.toContain(lost)
    expect(kept.length).toBe(report.copied)
    const missing = range(0, count).filter((n) => !kept.includes(n))
    // One page holds a few dozen of these users: they are lost together, and nobody else.
    expect(missing).toEqual(range(missing[0], missing[0] + missing.length))
    expect(missing.length).toBeLessThan(50)
    for (const n of kept) expect(await storage.getItem(key(n))).toBe(value(n))
    return kept
  } finally {
    await storage.dispose()
  }
}

describe('storage: damage is refused on open, never taken for data', () => {
  it('refuses a flipped byte in a value, naming the key; check reports it; salvage copies the other 125 users', async () => {
    const base = await storeOf(126)
    const at = valueAt(base, 60)
    flip(base, at + 20)
    const reason = /a value of 89 bytes fails its CRC32 check \(key "users:060"\)/
    expectRefused(base, at - 4, reason)

    const report = checkFsStorage(base)
    expect(report).toMatchObject({ dir: base, file: dataFile(base), healthy: false, keys: 125 })
    expect(report.damage).toEqual([{ file: dataFile(base), offset: at - 4, length: 93, reason: expect.stringMatching(reason) }])
    const salvaged = await expectSalvaged(base, [...range(0, 60), ...range(61, 126)])
    expect(salvaged.damage).toEqual(report.damage)
  })

  it('refuses a flipped byte in a value spread over overflow pages', async () => {
    const base = await storeOf(20, [7])
    const at = valueAt(base, 7)
    flip(base, at + 10_000)
    expectRefused(base, at - 4, /a value of 17800 bytes fails its CRC32 check \(key "users:007"\)/)
    await expectSalvaged(base, [...range(0, 7), ...range(8, 20)])
  })

  it('refuses a flipped byte in the header of a page and salvages every user on the other pages', async () => {
    const base = await storeOf(400)
    const page = Math.floor(valueAt(base, 200) / PAGE)
    flip(base, page * PAGE + 18, 0x04)
    expectRefused(base, page * PAGE, new RegExp(`page ${page} \\(a child of page \\d+\\): it is not a branch or leaf page \\(flags 0x6\\)`))
    const kept = await salvagedAround(base, 400, 200)
    expect(checkFsStorage(base)).toMatchObject({ healthy: false, keys: kept.length, damage: [{ offset: page * PAGE, length: PAGE }] })
  })

  it('refuses a flipped byte in a meta page instead of falling back to the older transaction', async () => {
    const twoTransactions = async () => {
      const base = await storeOf(30)
      const storage = fsStorage({ base })
      await storage.setItem(key(30), value(30))
      await storage.dispose()
      const bytes = readFileSync(dataFile(base))
      const txnid = (page: number) => bytes.readBigUInt64LE(page * PAGE + 24 + 128)
      return { base, newer: txnid(0) > txnid(1) ? 0 : 1 }
    }
    // The newer meta page's transaction id: LMDB alone would take the older meta page and lose user 30.
    const txnid = await twoTransactions()
    flip(txnid.base, txnid.newer * PAGE + 24 + 128 + 2, 0x01)
    expectRefused(txnid.base, 0, /meta pages 0 and 1 record transactions \d+ and \d+, which are not consecutive: one of them is damaged/)

    const magic = await twoTransactions()
    const older = 1 - magic.newer
    flip(magic.base, older * PAGE + 24)
    expectRefused(magic.base, older * PAGE, new RegExp(`meta page ${older} \\(byte ${older * PAGE}\\) does not hold LMDB's magic number`))
    // The newer meta page still leads to every user.
    await expectSalvaged(magic.base, range(0, 31))
  })

  it('refuses a truncated file, which LMDB would map and crash on; salvage copies what is left', async () => {
    const base = await storeOf(400)
    const size = readFileSync(dataFile(base)).length
    truncateSync(dataFile(base), size - PAGE - 100)
    expectRefused(
      base,
      size - PAGE - 100,
      new RegExp(
        `the file ends at byte ${size - PAGE - 100}, but meta page \\d \\(transaction \\d+\\) says it holds ${size / PAGE} pages of 4096 bytes \\(${size} bytes\\): it was cut short`,
      ),
    )
    const report = checkFsStorage(base)
    expect(report.healthy).toBe(false)
    expect(report.damage.at(-1)).toMatchObject({ offset: size - PAGE - 100, length: PAGE + 100 })
    const out = join(tempDir(), 'salvaged')
    const salvaged = await salvageFsStorage(base, out)
    expect(salvaged.copied).toBe(report.keys)
    const storage = fsStorage({ base: out })
    for (const k of await storage.getKeys('users')) expect(await storage.getItem(k)).toBe(value(Number(k.slice('users:'.length))))
    await storage.dispose()
  })

  it('refuses an empty data file instead of taking it for a new store', async () => {
    const base = await storeOf(126)
    truncateSync(dataFile(base), 0)
    expectRefused(base, 0, /the file is empty \(an LMDB data file starts with two meta pages\), so LMDB would take it for a new store/)
    expect(checkFsStorage(base)).toMatchObject({ healthy: false, keys: 0, damage: [{ offset: 0, length: 0 }] })
    await expectSalvaged(base, [])
  })

  it('reports several damaged values in file order and salvages around all of them', async () => {
    const base = await storeOf(300)
    const damaged = [250, 3, 120]
    const offsets = damaged.map((n) => valueAt(base, n))
    for (const at of offsets) flip(base, at + 5)
    const report = checkFsStorage(base)
    expect(report.damage.map((range) => range.offset)).toEqual(offsets.map((at) => at - 4).sort((a, b) => a - b))
    expect(report.damage.map((range) => range.reason.match(/key "(.+)"/)?.[1]).sort()).toEqual(damaged.map(key).sort())
    await expectSalvaged(
      base,
      range(0, 300).filter((n) => !damaged.includes(n)),
    )
  })

  it('refuses a value damaged while the store is open when it is read', async () => {
    const base = await storeOf(10)
    const at = valueAt(base, 4)
    const storage = fsStorage({ base })
    try {
      const fd = openSync(dataFile(base), 'r+')
      writeSync(fd, Buffer.from('X'), 0, 1, at + 8)
      closeSync(fd)
      await expect(storage.getItem(key(4))).rejects.toThrow(/data\.mdb is corrupt: a value of 89 bytes fails its CRC32 check on reading\. The read was refused/)
      expect(await storage.getItem(key(5))).toBe(value(5))
    } finally {
      await storage.dispose()
    }
  })
})

describe('storage: check and salvage', () => {
  it('reports a healthy store and copies it whole, without the keys it removed', async () => {
    const base = tempDir()
    const storage = fsStorage({ base })
    await storage.setItems(range(0, 30).map((n) => ({ key: key(n), value: value(n) })))
    for (const n of range(0, 5)) await storage.removeItem(key(n))
    await storage.setItem(key(5), value(5))
    await storage.dispose()
    expect(checkFsStorage(base)).toMatchObject({ dir: base, healthy: true, keys: 25, damage: [] })
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
    expect(() => checkFsStorage(tempDir())).toThrow(/holds no store \(no data\.mdb\)/)
  })
})
