import { open, type RootDatabase } from 'lmdb'
import { createStorage, defineDriver } from 'unstorage'
import { describe, expect, it } from 'vitest'
import { fsStorage, memoryStorage } from '../../src'
import { claimsFor } from '../../src/jobs/claims'
import { lmdbClaims } from '../../src/jobs/claims/lmdb'
import { memoryClaims } from '../../src/jobs/claims/memory'
import { storageClaims } from '../../src/jobs/claims/storage-fallback'
import { expectEachJobRunOnce } from '../claims-scenarios'
import { claimsContract } from './claims-contract'
import { tempDir } from '../helpers'

/** A minimal unstorage driver over an LMDB root database, named as the fs store's: enough to run engines on. */
const lmdbTestDriver = defineDriver((db: RootDatabase<string, string>) => ({
  name: 'lmdb',
  getInstance: () => db,
  hasItem: (key: string) => db.doesExist(key),
  getItem: (key: string) => db.get(key) ?? null,
  setItem: async (key: string, value: string) => {
    await db.put(key, value)
  },
  removeItem: async (key: string) => {
    await db.remove(key)
  },
  getKeys: (base: string | undefined) => [...db.getKeys({ start: base ?? '' })].filter((key) => key.startsWith(base ?? '')),
  clear: async () => {
    await db.clearAsync()
  },
}))

function openLmdb(): RootDatabase<string, string> {
  // Durability is not under test here: commits skip the disk flush.
  return open<string, string>({ path: tempDir('provisio-lmdb-'), encoding: 'string', noSync: true })
}

claimsContract('memory', () => memoryClaims())
claimsContract('lmdb', () => lmdbClaims(openLmdb()))
claimsContract('storage fallback', () => storageClaims(memoryStorage()))

describe('claims: the primitive follows the driver', () => {
  it('shares one set of claims among the engines of one driver, and picks it by the driver name', () => {
    const storage = memoryStorage()
    expect(claimsFor(storage)).toBe(claimsFor(storage))
    expect(claimsFor(storage)).not.toBe(claimsFor(memoryStorage()))
  })
})

describe('claims: two engines on one storage', () => {
  it('runs each of 1,000 jobs once with two engines on one memory storage', async () => {
    const storage = memoryStorage()
    await expectEachJobRunOnce(() => storage, 1000)
  })

  it('runs each of 1,000 jobs once with two engines on one fs store opened alone (claims in memory)', async () => {
    const storage = fsStorage({ base: tempDir('provisio-fs-alone-') })
    await expectEachJobRunOnce(() => storage, 1000)
    await storage.dispose()
  })

  it('runs each of 1,000 jobs once with two engines on one LMDB environment, each with its own storage', async () => {
    const db = openLmdb()
    await expectEachJobRunOnce(() => createStorage({ driver: lmdbTestDriver(db) }), 1000)
    await db.close()
  })
})
