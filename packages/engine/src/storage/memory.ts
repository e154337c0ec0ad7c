import { createStorage, type Storage } from 'unstorage'
import memoryDriver from 'unstorage/drivers/memory'

/**
 * unstorage's memory driver in a `Storage`: what an engine uses when it is
 * given no storage.
 *
 * ```ts
 * const engine = createEngine({ storage: memoryStorage() })
 * ```
 */
export function memoryStorage(): Storage {
  return createStorage({ driver: memoryDriver() })
}
