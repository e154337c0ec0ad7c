import { createStorage, type Driver, type StorageValue } from 'unstorage'
import memoryDriver from 'unstorage/drivers/memory'
import { describe, expect, it } from 'vitest'
import { memoryStorage } from '../../src/storage/memory'
import { directStorage } from '../../src/storage/direct'

/** The same calls on unstorage's own storage and on the direct one must leave the same data and answers. */
async function both<T>(calls: (storage: ReturnType<typeof createStorage>) => Promise<T>) {
  const plain = createStorage()
  const direct = memoryStorage()
  const [expected, actual] = [await calls(plain).catch((error: Error) => `error: ${error.message}`), await calls(direct).catch((error: Error) => `error: ${error.message}`)]
  const snapshot = async (storage: ReturnType<typeof createStorage>) =>
    Object.fromEntries(await Promise.all((await storage.getKeys()).sort().map(async (key) => [key, await storage.getItem(key)])))
  return { expected, actual, expectedData: await snapshot(plain), actualData: await snapshot(direct) }
}

describe('directStorage', () => {
  it.each([
    ['a normal key', 'jobs:records:1'],
    ['slashes', 'jobs/records/1'],
    ['backslashes', 'jobs\\records\\1'],
    ['empty segments', 'jobs::records:1'],
    ['leading and trailing separators', ':jobs:records:1:'],
    ['a query string', 'jobs:records:1?raw'],
    ['a dot in a segment', 'jobs:v1.2:x'],
  ])('stores and reads keys with %s as createStorage does', async (_, key) => {
    const result = await both(async (storage) => {
      await storage.setItem(key, { a: 1, nested: [1, 'two'] })
      await storage.setItem(`${key}-text`, 'hello')
      await storage.setItem(`${key}-number`, 42)
      await storage.setItem(`${key}-json-text`, '{"looks":"like json"}')
      const answers = [await storage.getItem(key), await storage.hasItem(key), await storage.getItem(`${key}-number`), await storage.getItem(`${key}-json-text`)]
      await storage.removeItem(`${key}-text`)
      return answers
    })
    expect(result.actual).toEqual(result.expected)
    expect(result.actualData).toEqual(result.expectedData)
  })

  it.each(['jobs:..:x', 'jobs:.', '', ':'])('rejects the key %j as createStorage does', async (key) => {
    const result = await both((storage) => storage.setItem(key, 'x'))
    expect(result.actual).toEqual(result.expected)
    expect(String(result.actual)).toMatch(/^error: \[unstorage\] Invalid key/)
  })

  it('writes batches as createStorage does, through the driver\'s own setItems when it has one', async () => {
    const result = await both(async (storage) => {
      await storage.setItems<StorageValue>([
        { key: 'a:b', value: { n: 1 } },
        { key: 'a:c', value: '' },
      ])
      // One key not in normal form sends the whole batch through unstorage.
      await storage.setItems<StorageValue>([
        { key: 'x/y', value: 2 },
        { key: 'x:z', value: [3] },
      ])
      return storage.getItems(['a:b', 'a:c', 'x:y', 'x:z'])
    })
    expect(result.actual).toEqual(result.expected)
    expect(result.actualData).toEqual(result.expectedData)

    const batches: string[][] = []
    const data = new Map<string, string>()
    const batching: Driver = {
      name: 'batching',
      hasItem: (key) => data.has(key),
      getItem: (key) => data.get(key) ?? null,
      setItem: (key, value) => void data.set(key, value),
      setItems: async (items) => {
        batches.push(items.map((item) => item.key))
        for (const item of items) data.set(item.key, item.value)
      },
      getKeys: () => [...data.keys()],
    }
    await directStorage(batching).setItems<StorageValue>([
      { key: 'k:1', value: { v: 1 } },
      { key: 'k:2', value: 'two' },
    ])
    expect(batches).toEqual([['k:1', 'k:2']])
    expect([...data.entries()]).toEqual([
      ['k:1', '{"v":1}'],
      ['k:2', 'two'],
    ])
  })

  it('removes meta with the key when asked, as createStorage does', async () => {
    const result = await both(async (storage) => {
      await storage.setItem('a:b', 1)
      await storage.setMeta('a:b', { note: 'x' })
      await storage.removeItem('a:b', { removeMeta: true })
      return storage.getKeys()
    })
    expect(result.actual).toEqual(result.expected)
    expect(result.actualData).toEqual({})
  })

  it('treats undefined as a removal and returns copies, never the stored object', async () => {
    const storage = memoryStorage()
    const value = { list: [1] }
    await storage.setItem('k', value)
    value.list.push(2)
    const read = await storage.getItem<{ list: number[] }>('k')
    expect(read).toEqual({ list: [1] })
    read!.list.push(3)
    expect(await storage.getItem('k')).toEqual({ list: [1] })
    await storage.setItem('k', undefined as never)
    expect(await storage.hasItem('k')).toBe(false)
    expect(await storage.getItem('missing')).toBeNull()
  })

  it('sends keys under a later mount to the mounted driver', async () => {
    const storage = memoryStorage()
    const cache = memoryDriver()
    storage.mount('cache', cache)
    await storage.setItem('cache:entry', 'in the mount')
    await storage.setItem('other:entry', 'at the root')
    expect(await storage.getItem('cache:entry')).toBe('in the mount')
    expect([...(cache.getInstance!() as Map<string, unknown>).entries()]).toEqual([['entry', 'in the mount']])
  })

  it('reports changes to watchers', async () => {
    const storage = memoryStorage()
    const events: string[] = []
    await storage.watch((event, key) => events.push(`${event} ${key}`))
    await storage.setItem('a:b', 1)
    await storage.removeItem('a:b')
    expect(events).toEqual(['update a:b', 'remove a:b'])
  })

  it('turns a driver that throws into a rejected promise', async () => {
    const failing: Driver = {
      name: 'failing',
      hasItem: () => false,
      getItem: () => {
        throw new Error('disk on fire')
      },
      setItem: () => {
        throw new Error('disk on fire')
      },
      getKeys: () => [],
    }
    const storage = directStorage(failing)
    const read = storage.getItem('a')
    const write = storage.setItem('a', 1)
    await expect(read).rejects.toThrow('disk on fire')
    await expect(write).rejects.toThrow('disk on fire')
  })

  it('waits for an asynchronous driver', async () => {
    const data = new Map<string, string>()
    const slow: Driver = {
      name: 'slow',
      hasItem: async (key) => data.has(key),
      getItem: async (key) => data.get(key) ?? null,
      setItem: (key, value) => new Promise<void>((resolve) => setTimeout(() => (data.set(key, value), resolve()), 5)),
      getKeys: async () => [...data.keys()],
    }
    const storage = directStorage(slow)
    await storage.setItem('a:b', { x: 1 })
    expect(data.get('a:b')).toBe('{"x":1}')
    expect(await storage.getItem('a:b')).toEqual({ x: 1 })
    expect(await storage.hasItem('a:b')).toBe(true)
  })

  it('refuses values unstorage cannot serialise', async () => {
    const result = await both((storage) => storage.setItem('a', new (class Opaque {})() as never))
    expect(result.actual).toEqual(result.expected)
    expect(result.actual).toBe('error: [unstorage] Cannot stringify value!')
  })
})
