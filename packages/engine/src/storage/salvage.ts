import { closeSync, existsSync, fstatSync, openSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DataDirectoryLockedError } from '../errors'
import { readFully } from './file-io'
import { lockHolder } from './lock'
import { readLog, type SegmentFile } from './log-scan'
import { type Change, LogStore } from './log-store'
import { OP_SET } from './record'
import { listSegmentIds, segmentFileName } from './segment'

/** Bytes of a segment that hold no readable record. */
export interface StorageDamage {
  file: string
  /** Where the damage starts. */
  offset: number
  /** Bytes up to the next intact record or the end of the file: what salvaging skips. */
  length: number
  reason: string
}

export interface StorageSegmentReport {
  file: string
  bytes: number
  /** Intact records in the segment, current or not. */
  records: number
  damage: StorageDamage[]
  /** A write a crash left unfinished at the end of the log: opening truncates it, and it was never acknowledged. */
  tornTail?: StorageDamage
}

export interface StorageCheckReport {
  dir: string
  /** Whether `fsStorage` opens the directory: no damage (a torn tail is not damage). */
  healthy: boolean
  segments: StorageSegmentReport[]
  /** Intact records in all segments, current or not. */
  records: number
  /** Keys whose latest readable record sets a value: what a salvage copies. */
  keys: number
  /** Every damaged range, in log order. */
  damage: StorageDamage[]
}

export interface StorageSalvageReport extends StorageCheckReport {
  /** The new store directory. */
  out: string
  /** Keys written to it. */
  copied: number
}

/**
 * Reads every segment of an `fsStorage` directory, without changing it, and
 * reports its records and damage. The directory must not be open in a
 * running process.
 *
 * ```ts
 * const report = checkFsStorage('.provisio/data')
 * if (!report.healthy) for (const d of report.damage) console.log(`${d.file} at byte ${d.offset}: ${d.reason}`)
 * ```
 */
export function checkFsStorage(base: string): StorageCheckReport {
  const log = readStoreLog(base)
  log.close()
  return log.report
}

/**
 * Copies every readable record of a damaged (or healthy) `fsStorage`
 * directory into a new store at `out`: past each damaged range the reading
 * resumes at the next intact record, and each key gets its latest readable
 * value. `base` is only read; `out` must not exist or be empty.
 *
 * Where a damaged range held a key's latest change, the key keeps the change
 * before it: the report's `damage` lists the ranges to review.
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
  const log = readStoreLog(base)
  try {
    const store = LogStore.open({ dir: target, fsync: true, segmentBytes: SALVAGE_SEGMENT_BYTES })
    try {
      let batch: Change[] = []
      let batchBytes = 0
      for (const [key, { fd, at, length }] of log.live) {
        const value = Buffer.allocUnsafe(length)
        if (length) readFully(fd, value, length, at)
        batch.push({ key, value: value.toString('utf8') })
        batchBytes += length
        if (batchBytes >= BATCH_BYTES) {
          await store.write(batch)
          batch = []
          batchBytes = 0
        }
      }
      await store.write(batch)
    } finally {
      await store.close()
    }
  } finally {
    log.close()
  }
  return { ...log.report, out: target, copied: log.live.size }
}

const SALVAGE_SEGMENT_BYTES = 64 * 1024 * 1024
/** Values are read from the damaged store and written in batches of about this size, so memory stays bounded. */
const BATCH_BYTES = 4 * 1024 * 1024

interface LiveValue {
  fd: number
  /** Offset of the value in the segment file. */
  at: number
  length: number
}

function readStoreLog(base: string) {
  const dir = resolve(base)
  if (!existsSync(dir)) throw new Error(`[provisio] [fs-storage] ${dir} does not exist`)
  const holder = lockHolder(dir)
  if (holder !== undefined) {
    throw new DataDirectoryLockedError(`[provisio] [fs-storage] ${dir} is open in process ${holder}: stop it before checking or salvaging the directory`, dir, holder)
  }
  const segments: SegmentFile[] = []
  const close = () => {
    for (const segment of segments) closeSync(segment.fd)
  }
  try {
    for (const id of listSegmentIds(dir)) {
      const fd = openSync(join(dir, segmentFileName(id)), 'r')
      segments.push({ id, fd, size: fstatSync(fd).size })
    }
    const reports = new Map(segments.map((segment) => [segment, { file: join(dir, segmentFileName(segment.id)), bytes: segment.size, records: 0, damage: [] } as StorageSegmentReport]))
    const live = new Map<string, LiveValue>()
    const damage: StorageDamage[] = []
    let records = 0
    for (const entry of readLog(dir, segments)) {
      const report = reports.get(entry.segment)!
      if ('record' in entry) {
        const { key, op, offset, length, valueLength } = entry.record
        records++
        report.records++
        // Deleted first, so that the map's order is the order of the latest sets.
        live.delete(key)
        if (op === OP_SET) live.set(key, { fd: entry.segment.fd, at: offset + length - valueLength, length: valueLength })
        continue
      }
      const { file, offset, length, reason, torn } = entry.damage
      if (torn) report.tornTail = { file, offset, length, reason }
      else {
        report.damage.push({ file, offset, length, reason })
        damage.push({ file, offset, length, reason })
      }
    }
    const report: StorageCheckReport = { dir, healthy: !damage.length, segments: [...reports.values()], records, keys: live.size, damage }
    return { report, live, close }
  } catch (error) {
    close()
    throw error
  }
}
