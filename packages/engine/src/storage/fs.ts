import { createStorage, type Storage } from 'unstorage'
import { lmdbDriver, type LmdbDriverOptions } from './lmdb'

export type FsStorageOptions = LmdbDriverOptions

/**
 * An unstorage `Storage` over a durable data directory (LMDB, through the
 * `lmdb` driver): the embedded default of the standalone server. A write
 * resolves once it is on the disk; a damaged directory is refused on open.
 * `dispose()` it to release the directory. See docs/storage.md.
 *
 * ```ts
 * const engine = createEngine({ storage: fsStorage({ base: '.provisio/data' }) })
 * ```
 */
export function fsStorage(options: FsStorageOptions): Storage {
  return createStorage({ driver: lmdbDriver(options) })
}
