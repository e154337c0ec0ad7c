import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fsStorage } from '../../src'
import { tempDir, waitFor } from '../helpers'

const segments = (base: string) => readdirSync(base).filter((name) => name.endsWith('.log')).sort()
const diskBytes = (base: string) => segments(base).reduce((sum, name) => sum + statSync(join(base, name)).size, 0)

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number) {
  // mulberry32
  return (below: number) => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) % below
  }
}

describe('storage: fsStorage compaction', () => {
  it('rewrites mostly dead segments and deletes them; contents survive a reopen', async () => {
    const base = tempDir()
    const storage = fsStorage({ base, segmentBytes: 4096 })
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 200 }, (_, n) => storage.setItem(`key:${n}`, { n, round, pad: 'p'.repeat(60) })))
    }
    await Promise.all(Array.from({ length: 100 }, (_, n) => storage.removeItem(`key:${n * 2}`)))
    const written = 10 * 200 * 100
    // Compaction runs in the background after each flush.
    await waitFor(() => diskBytes(base) < written / 5, 10_000)
    const expectKeys = async (storage: ReturnType<typeof fsStorage>) => {
      expect((await storage.getKeys('key')).length).toBe(100)
      for (let n = 0; n < 200; n++) {
        expect(await storage.getItem(`key:${n}`)).toEqual(n % 2 ? { n, round: 9, pad: 'p'.repeat(60) } : null)
      }
    }
    await expectKeys(storage)
    await storage.dispose()

    const reopened = fsStorage({ base, segmentBytes: 4096 })
    await expectKeys(reopened)
    await reopened.dispose()
  })

  it('keeps a removal while an older segment still holds the removed key', async () => {
    const base = tempDir()
    const storage = fsStorage({ base, segmentBytes: 1024 })
    // Segment 1 stays mostly live, so it is never compacted; it holds the key to remove.
    await storage.setItems(Array.from({ length: 6 }, (_, n) => ({ key: `keep:${n}`, value: 'k'.repeat(120) })))
    await storage.setItem('doomed', 'once')
    expect(segments(base)).toEqual(['00000001.log'])
    const churn = async (times: number) => {
      for (let n = 0; n < times; n++) await storage.setItem('churn', `${n}`.padEnd(200, '.'))
    }
    await churn(20)
    await storage.removeItem('doomed')
    // Every segment after the first becomes dead but for the removal, which compaction must carry on.
    await churn(40)
    await waitFor(() => segments(base).length <= 3, 10_000)
    expect(segments(base)[0]).toBe('00000001.log')
    await storage.dispose()

    const reopened = fsStorage({ base, segmentBytes: 1024 })
    expect(await reopened.getItem('doomed')).toBeNull()
    expect((await reopened.getKeys('')).sort()).toEqual(['churn', 'keep:0', 'keep:1', 'keep:2', 'keep:3', 'keep:4', 'keep:5'])
    await reopened.dispose()
  })

  it('loses no write that races with compaction', async () => {
    const base = tempDir()
    const next = random(42)
    const model = new Map<string, string>()
    let storage = fsStorage({ base, segmentBytes: 2048 })
    for (let wave = 0; wave < 60; wave++) {
      // A wave of concurrent writes: their group commits interleave with compactions in progress.
      const writes: Promise<void>[] = []
      for (let n = 0; n < 50; n++) {
        const key = `k:${next(40)}`
        if (next(4) === 0) {
          model.delete(key)
          writes.push(storage.removeItem(key))
        } else {
          const value = `${wave}-${n}-${'v'.repeat(next(80))}`
          model.set(key, value)
          writes.push(storage.setItem(key, value))
        }
      }
      await Promise.all(writes)
      if (wave % 20 === 19) {
        await storage.dispose()
        storage = fsStorage({ base, segmentBytes: 2048 })
      }
      expect((await storage.getKeys('k')).sort()).toEqual([...model.keys()].sort())
      for (const [key, value] of model) expect(await storage.getItem(key), key).toBe(value)
    }
    await storage.dispose()
    const reopened = fsStorage({ base, segmentBytes: 2048 })
    expect((await reopened.getKeys('')).sort()).toEqual([...model.keys()].sort())
    for (const [key, value] of model) expect(await reopened.getItem(key), key).toBe(value)
    await reopened.dispose()
    expect(segments(base).length).toBeLessThan(30)
  })
})
