import { resolve } from 'node:path'
import { defineDriver, type Storage } from 'unstorage'
import { directStorage } from './direct'
import { LogStore } from './log-store'

export interface FsStorageOptions {
  /** Directory that holds the data; created when missing. One process at a time may open it. */
  base: string
  /**
   * Flush every group commit to the disk (`fdatasync`) before its writes
   * resolve, which survives a power cut. Without it a write resolves once it
   * is in the OS page cache: it survives the process being killed, and a
   * record is never applied torn either way. Default true.
   */
  fsync?: boolean
  /** Size at which the active segment file is sealed and a new one started. Default 64 MiB. */
  segmentBytes?: number
}

const DRIVER_NAME = 'provisio-fs'
const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024

/**
 * An unstorage driver over a log-structured store in one directory: writes
 * are appended to segment files and group-committed (one write and one disk
 * flush for all the writes that arrive meanwhile), an in-memory key directory
 * answers `getKeys` and `hasItem` without touching the disk, and reads are one
 * positional read each. See the storage section of docs/engine.md.
 */
export const fsLogDriver = defineDriver((options: FsStorageOptions) => {
  if (!options?.base) throw new Error(`[provisio] [${DRIVER_NAME}] missing required option \`base\``)
  const store = LogStore.open({
    dir: resolve(options.base),
    fsync: options.fsync ?? true,
    segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
  })
  return {
    name: DRIVER_NAME,
    options,
    flags: { maxDepth: false },
    hasItem: (key: string) => store.has(key),
    getItem: (key: string) => store.get(key),
    setItem: (key: string, value: string) => store.write([{ key, value }]),
    setItems: (items: Array<{ key: string; value: string }>) => store.write(items),
    removeItem: (key: string) => store.write([{ key }]),
    // unstorage passes no base (undefined) for the whole storage.
    getKeys: (base: string | undefined) => store.keys(base ?? ''),
    clear: (base: string | undefined) => store.clear(base ?? ''),
    dispose: () => store.close(),
  }
})

/**
 * An unstorage `Storage` over a durable, log-structured data directory: the
 * embedded default of the standalone server. `dispose()` it to release the
 * directory.
 *
 * ```ts
 * const engine = createEngine({ storage: fsStorage({ base: '.provisio/data' }) })
 * ```
 */
export function fsStorage(options: FsStorageOptions): Storage {
  return directStorage(fsLogDriver(options))
}
