import memoryDriver from 'unstorage/drivers/memory'
import type { Storage } from 'unstorage'
import { directStorage } from './direct'

/**
 * unstorage's memory driver in a `Storage` whose item calls skip key
 * normalisation for keys already normal: what an engine uses when it is given
 * no storage. Behaves as `createStorage()` does.
 *
 * ```ts
 * const engine = createEngine({ storage: memoryStorage() })
 * ```
 */
export function memoryStorage(): Storage {
  return directStorage(memoryDriver())
}
