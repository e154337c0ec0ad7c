import { join } from 'node:path'
import { fsStorage } from '@provisio/engine'
import { createStorage, type Storage } from 'unstorage'
import type { ServeConfig } from '../config/schema'

/** The engine's storage for a configuration: LMDB under `<dataDir>/data` (fsStorage), memory, or Redis. */
export async function createConfiguredStorage(config: Pick<ServeConfig, 'storage' | 'dataDir' | 'redisUrl'>): Promise<Storage> {
  switch (config.storage) {
    case 'memory':
      return createStorage()
    case 'redis': {
      // Loaded only when asked for, so ioredis stays out of the other setups.
      const { default: redisDriver } = await import('unstorage/drivers/redis')
      return createStorage({ driver: redisDriver({ url: config.redisUrl, base: 'provisio' }) })
    }
    default:
      return fsStorage({ base: join(config.dataDir, 'data') })
  }
}
