import type { Storage } from 'unstorage'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

export interface TestStorageOptions {
  /**
   * Whether what is written survives `dispose()`: the suite then disposes
   * the storage, calls `create` again and reads the data back. True for
   * stores on disk or on a server (fs, Redis), false for memory.
   */
  persistent?: boolean
}

/**
 * The behaviour the engine relies on from its storage, as a vitest suite:
 * run it on a storage of your own before handing it to `createEngine`.
 * `create` is called once (and once more after `dispose()` when
 * `persistent`); the storage is cleared after each test.
 *
 * ```ts no-run: a vitest test file
 * import { fsStorage } from '@provisio/engine'
 * import { testStorage } from '@provisio/engine/testing'
 *
 * testStorage('fs', () => fsStorage({ base: '/tmp/provisio-conformance' }), { persistent: true })
 * ```
 */
export function testStorage(name: string, create: () => Storage | Promise<Storage>, options: TestStorageOptions = {}): void {
  describe(`storage conformance: ${name}`, () => {
    let storage: Storage
    beforeAll(async () => {
      storage = await create()
      await storage.clear()
    })
    afterEach(() => storage.clear())
    afterAll(() => storage?.dispose())

    it('reads back what it stores: objects, arrays, strings (empty too), numbers and booleans', async () => {
      const values = { record: { id: 'a', nested: { list: [1, 'two', null] } }, list: [{ n: 1 }], text: 'zwölf € 🚀', empty: '', zero: 0, yes: true }
      await storage.setItems(Object.entries(values).map(([key, value]) => ({ key: `values:${key}`, value })))
      for (const [key, value] of Object.entries(values)) expect(await storage.getItem(`values:${key}`), key).toEqual(value)
      expect(await storage.hasItem('values:empty')).toBe(true)
    })

    it('answers null and false for a key it does not hold, and removes a key (even one it never held)', async () => {
      expect(await storage.getItem('missing:key')).toBeNull()
      expect(await storage.hasItem('missing:key')).toBe(false)
      await storage.setItem('jobs:records:a', { id: 'a' })
      await storage.removeItem('jobs:records:a')
      await storage.removeItem('never:written')
      expect(await storage.getItem('jobs:records:a')).toBeNull()
      expect(await storage.hasItem('jobs:records:a')).toBe(false)
    })

    it('lists the keys under a base, whole segments only', async () => {
      await storage.setItems(
        ['jobs:records:a', 'jobs:records:b', 'jobs:index:status:pending:a', 'jobsx:other', 'workflows:w'].map((key) => ({ key, value: '' })),
      )
      expect((await storage.getKeys('jobs:records')).sort()).toEqual(['jobs:records:a', 'jobs:records:b'])
      expect((await storage.getKeys('jobs')).sort()).toEqual(['jobs:index:status:pending:a', 'jobs:records:a', 'jobs:records:b'])
      expect((await storage.getKeys('jobs:rec')).sort()).toEqual([])
      expect((await storage.getKeys('')).sort()).toEqual(['jobs:index:status:pending:a', 'jobs:records:a', 'jobs:records:b', 'jobsx:other', 'workflows:w'])
      expect(await storage.getKeys('missing')).toEqual([])
    })

    it("keeps the engine's escaped key segments apart", async () => {
      // keySegment() escapes ':', '/', '.' and '*' in label values as %3A, %2F, %2E, %2A.
      const keys = ['jobs:index:label:env=prod%3Aeu:a', 'jobs:index:label:env=prod%2Feu:a', 'jobs:index:label:name=%2E%2E:a', 'jobs:index:label:tier=%C3%BC:a']
      await storage.setItems(keys.map((key, n) => ({ key, value: { n } })))
      expect((await storage.getKeys('jobs:index:label')).sort()).toEqual([...keys].sort())
      for (const [n, key] of keys.entries()) expect(await storage.getItem(key)).toEqual({ n })
    })

    it('sees a write in reads issued after it, and the last of several writes to a key wins', async () => {
      const writes = [storage.setItem('jobs:records:a', { status: 'pending' }), storage.setItem('jobs:records:a', { status: 'running' })]
      expect(await storage.getItem('jobs:records:a')).toEqual({ status: 'running' })
      writes.push(
        storage.setItem('jobs:records:a', { status: 'completed' }),
        storage.removeItem('jobs:index:pending:a'),
        storage.setItem('jobs:index:completed:a', ''),
      )
      await Promise.all(writes)
      expect(await storage.getItem('jobs:records:a')).toEqual({ status: 'completed' })
      expect(await storage.getKeys('jobs:index')).toEqual(['jobs:index:completed:a'])
    })

    it('takes a thousand concurrent writes and a value of a megabyte', async () => {
      await Promise.all(Array.from({ length: 1000 }, (_, n) => storage.setItem(`jobs:output:j:${String(n).padStart(4, '0')}`, { n, lines: [`line ${n}`] })))
      expect((await storage.getKeys('jobs:output:j')).length).toBe(1000)
      expect(await storage.getItem('jobs:output:j:0999')).toEqual({ n: 999, lines: ['line 999'] })
      const big = 'x'.repeat(1024 * 1024)
      await storage.setItem('jobs:inputs:big', { big })
      expect(await storage.getItem<{ big: string }>('jobs:inputs:big')).toEqual({ big })
    })

    if (options.persistent)
      it('keeps what it stored across dispose() and a new storage on the same place', async () => {
        await storage.setItems(Array.from({ length: 50 }, (_, n) => ({ key: `jobs:records:${n}`, value: { n } })))
        await storage.removeItem('jobs:records:7')
        await storage.dispose()
        storage = await create()
        expect((await storage.getKeys('jobs:records')).length).toBe(49)
        expect(await storage.getItem('jobs:records:49')).toEqual({ n: 49 })
        expect(await storage.hasItem('jobs:records:7')).toBe(false)
      })
  })
}
