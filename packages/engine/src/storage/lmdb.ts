import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { type Database, open, type RootDatabase } from 'lmdb'
import { defineDriver } from 'unstorage'
import { StorageCorruptionError } from '../errors'
import { checksummedStrings } from './checksum'
import { DATA_DATABASE, DATA_FILE, scanDataFile, scanDataFileInUse } from './data-file'
import { lockDirectory } from './lock'

export interface LmdbDriverOptions {
  /** Directory of the store (LMDB's `data.mdb` and `lock.mdb`); created when missing. */
  base: string
  /**
   * Let several processes open the store at once, each with `shared: true`
   * (several engines on one data directory): LMDB serialises their writes,
   * and the claims on jobs and workflows keep their engines apart. Without it
   * (the default) the directory is this process's alone while it is open.
   */
  shared?: boolean
}

const DRIVER_NAME = 'lmdb'

/** A write the driver has accepted and LMDB has not committed yet: `value` undefined for a removal. */
interface PendingWrite {
  value: string | undefined
}

/**
 * An unstorage driver over LMDB, an embedded, crash-proof B+tree store.
 *
 * - Durable: a write's promise resolves once its transaction is committed and
 *   flushed to the disk (`fdatasync`); the writes of one event turn share one
 *   transaction, so a burst of them costs one flush.
 * - Read-your-writes: a write is seen by reads as soon as it is accepted, as
 *   with the memory and Redis drivers, before it is durable.
 * - Checked: every value carries a CRC32, and the data file is read through
 *   (`scanDataFile`) before LMDB opens it, or as a reader of the environment
 *   when other processes have it open (`scanDataFileInUse`); a damaged store
 *   is refused with a `StorageCorruptionError` naming the file, the byte and
 *   what is wrong.
 * - Exclusive, or shared: the directory is locked for this process (a `LOCK`
 *   file), or open to every process that opens it `shared` (see `lockDirectory`).
 *
 * `getInstance()` is the LMDB `RootDatabase`. The entries are in its database
 * named `provisio` (values: the strings unstorage stores, checksummed); a
 * caller keeps records of its own in another named database (`openDB`), with
 * LMDB's transactions for atomic read-and-write, e.g. to claim a job.
 */
export const lmdbDriver = defineDriver((options: LmdbDriverOptions) => {
  if (!options?.base) throw new Error(`[provisio] [${DRIVER_NAME}] missing required option \`base\``)
  const dir = resolve(options.base)
  const file = join(dir, DATA_FILE)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const lock = lockDirectory(dir, { shared: options.shared })
  let root: RootDatabase
  let data: Database<string, string>
  try {
    // Checked before LMDB opens it, as it would crash on a page past the end of a cut file; while
    // other processes have it open (and so LMDB opened it), checked as one more reader.
    const refuseDamaged = (scan: { damage: Array<{ offset: number; reason: string }> }) => {
      const [damage] = scan.damage
      if (damage) throw new StorageCorruptionError(file, damage.offset, damage.reason)
    }
    const exists = existsSync(file)
    if (exists && !lock.othersOpen.length) refuseDamaged(scanDataFile(file))
    root = open({
      path: dir,
      noSubdir: false,
      // Measured here: a commit that flushes inside the write lock is both faster than overlapping
      // the flush with the next commit and resolves only once durable (see docs/storage.md).
      overlappingSync: false,
      permissionsMode: 0o600,
    } as Parameters<typeof open>[0])
    if (exists && lock.othersOpen.length) {
      try {
        refuseDamaged(scanDataFileInUse(root, file))
      } catch (error) {
        void root.close()
        throw error
      }
    }
    // A named database of its own: the root's keys are the names of databases (a caller's own, e.g. job claims), never entries.
    data = root.openDB<string, string>({ name: DATA_DATABASE, encoder: checksummedStrings(file) } as { name: string })
    lock.opened()
  } catch (error) {
    lock.release()
    throw error
  }

  const pending = new Map<string, PendingWrite>()
  let closing: Promise<void> | undefined
  const write = (key: string, value: string | undefined): Promise<void> => {
    if (closing) return Promise.reject(new Error(`[provisio] [${DRIVER_NAME}] ${dir} is closed`))
    const accepted: PendingWrite = { value }
    pending.set(key, accepted)
    const settle = () => {
      if (pending.get(key) === accepted) pending.delete(key)
    }
    return (value === undefined ? data.remove(key) : data.put(key, value)).then(settle, (error: unknown) => {
      settle()
      throw error
    })
  }
  const keys = (base: string | undefined): string[] => {
    const prefix = base ?? ''
    const found = new Set<string>()
    for (const key of data.getKeys({ start: prefix })) {
      if (!key.startsWith(prefix)) break
      found.add(key)
    }
    for (const [key, { value }] of pending) {
      if (value === undefined) found.delete(key)
      else if (key.startsWith(prefix)) found.add(key)
    }
    return [...found]
  }

  return {
    name: DRIVER_NAME,
    options,
    getInstance: () => root,
    hasItem(key: string) {
      const accepted = pending.get(key)
      return accepted ? accepted.value !== undefined : data.doesExist(key)
    },
    getItem(key: string) {
      const accepted = pending.get(key)
      return accepted ? (accepted.value ?? null) : (data.get(key) ?? null)
    },
    setItem: (key: string, value: string) => write(key, value),
    async setItems(items: Array<{ key: string; value: string }>) {
      await Promise.all(items.map(({ key, value }) => write(key, value)))
    },
    removeItem: (key: string) => write(key, undefined),
    getKeys: keys,
    async clear(base: string | undefined) {
      await Promise.all(keys(base).map((key) => write(key, undefined)))
    },
    dispose() {
      // The last transaction holds every write accepted before it (a failed one was reported to its writers); then LMDB closes.
      const close = () => root.close()
      closing ??= Promise.resolve(data.committed)
        .then(close, close)
        .finally(() => lock.release())
      return closing
    },
  }
})
