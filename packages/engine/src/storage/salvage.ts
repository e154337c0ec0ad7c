import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DataDirectoryLockedError } from '../errors'
import { open } from 'lmdb'
import { DATA_FILE, type DataFileDamage, type DataFileScan, scanDataFile, scanDataFileInUse } from './data-file'
import { lmdbDriver } from './lmdb'
import { directoryHolders, lockDirectory } from './lock'

/** Bytes of the data file that hold nothing readable. */
export interface StorageDamage extends DataFileDamage {
  file: string
}

export interface StorageCheckReport {
  dir: string
  /** The data file (LMDB's `data.mdb`). */
  file: string
  bytes: number
  /** Whether `fsStorage` opens the directory: no damage. */
  healthy: boolean
  /** Entries read intact: what a salvage copies. */
  keys: number
  /** Every damaged range, in file order. */
  damage: StorageDamage[]
  /**
   * The processes that had the store open (shared) while it was read: then it
   * was read as of one committed transaction that LMDB kept intact for the
   * read, and what they committed since is not in the report.
   */
  openBy: number[]
}

export interface StorageSalvageReport extends StorageCheckReport {
  /** The new store directory. */
  out: string
  /** Keys written to it. */
  copied: number
}

/**
 * Reads every page of an `fsStorage` directory, without changing it, and
 * reports its entries and damage. The directory may be open shared by
 * running processes (`fsStorage({ base, shared: true })`), not by one that
 * has it to itself.
 *
 * ```ts
 * const report = checkFsStorage('.provisio/data')
 * if (!report.healthy) for (const d of report.damage) console.log(`${d.file} at byte ${d.offset}: ${d.reason}`)
 * ```
 */
export function checkFsStorage(base: string): StorageCheckReport {
  return readStore(base)
}

/**
 * Copies every intact entry of a damaged (or healthy) `fsStorage` directory
 * into a new store at `out`: past a damaged page or value the reading goes
 * on with the next one. `base` is only read; `out` must not exist or be empty.
 * A store in use (open shared) is copied as of one committed transaction.
 *
 * An entry on a damaged page, or under a damaged branch page, is not copied:
 * the report's `damage` lists the ranges to review.
 *
 * ```ts
 * const report = await salvageFsStorage('.provisio/data', '/srv/provisio-salvaged/data')
 * console.log(`${report.copied} keys copied, ${report.damage.length} damaged ranges skipped`)
 * ```
 */
export async function salvageFsStorage(base: string, out: string): Promise<StorageSalvageReport> {
  const target = resolve(out)
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length)) {
    throw new Error(`[provisio] [fs-storage] ${target} already exists and is not an empty directory: salvage into a new one`)
  }
  const driver = lmdbDriver({ base: target })
  try {
    // All in one transaction: the new store holds the whole salvage or, if this fails, nothing.
    const writes: Array<Promise<void>> = []
    const report = readStore(base, (key, text) => writes.push(driver.setItem!(key, text.toString('utf8'), {}) as Promise<void>))
    await Promise.all(writes)
    return { ...report, out: target, copied: writes.length }
  } finally {
    await driver.dispose!()
  }
}

function readStore(base: string, read?: (key: string, text: Buffer) => void): StorageCheckReport {
  const dir = resolve(base)
  if (!existsSync(dir)) throw new Error(`[provisio] [fs-storage] ${dir} does not exist`)
  const { exclusive } = directoryHolders(dir)
  if (exclusive !== undefined) {
    throw new DataDirectoryLockedError(
      `[provisio] [fs-storage] ${dir} is open in process ${exclusive}: stop it before checking or salvaging the directory`,
      dir,
      exclusive,
    )
  }
  const file = join(dir, DATA_FILE)
  if (!existsSync(file)) throw new Error(`[provisio] [fs-storage] ${dir} holds no store (no ${DATA_FILE})`)
  // Held as a shared opener holds it: nobody opens the store while it is read alone, and it is read in use only through LMDB.
  const lock = lockDirectory(dir, { shared: true })
  const openBy = [...lock.othersOpen]
  let scan: DataFileScan
  try {
    scan = openBy.length ? scanOpenStore(dir, file, lock, read) : scanDataFile(file, read)
  } finally {
    lock.release()
  }
  const damage = scan.damage.map((range) => ({ file, ...range })).sort((a, b) => a.offset - b.offset)
  return { dir, file, bytes: scan.bytes, healthy: !damage.length, keys: scan.entries, damage, openBy }
}

/** Scans a store other processes have open, as one more reader of its LMDB environment. */
function scanOpenStore(dir: string, file: string, lock: ReturnType<typeof lockDirectory>, read?: (key: string, text: Buffer) => void): DataFileScan {
  const root = open({ path: dir, noSubdir: false, readOnly: true } as Parameters<typeof open>[0])
  lock.opened()
  try {
    return scanDataFileInUse(root, file, read)
  } finally {
    void root.close()
  }
}
