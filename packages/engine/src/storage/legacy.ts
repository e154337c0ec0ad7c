import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { writeFully, syncDirectory } from './file-io'
import { LOCK_FILE } from './lock'
import { encodeRecord, OP_SET } from './record'
import { isSegmentTempName, SEGMENT_FILE_MODE, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, segmentFileName } from './segment'

/** Where the files of the old layout are moved once imported; kept as a backup, never read again. */
export const LEGACY_DIR = 'legacy'
const IMPORT_FILE = 'import.tmp'
// How the old layout named a write in progress: never a key.
const OLD_TEMP_MARK = '.tmp-'

/**
 * Imports a data directory written by the old layout (one file per key, the
 * key's segments as directories: `jobs/records/<id>`) into the log. Runs
 * while the directory has no segment: first moves the old files into
 * `legacy/`, then writes them all as segment 1 under a temporary name and
 * renames it into place, so a crash at any point leaves either no segment
 * (and the import runs again) or the complete one.
 */
export function importLegacyLayout(dir: string, fsync: boolean): void {
  const legacy = join(dir, LEGACY_DIR)
  const stray = readdirSync(dir).filter((name) => name !== LEGACY_DIR && name !== IMPORT_FILE && !name.startsWith(LOCK_FILE) && !isSegmentTempName(name))
  if (stray.length) {
    mkdirSync(legacy, { recursive: true })
    for (const name of stray) renameSync(join(dir, name), join(legacy, name))
  }
  if (!existsSync(legacy)) return
  const files: Array<{ key: string; path: string }> = []
  collectFiles(legacy, [], files)
  if (!files.length) return

  const temp = join(dir, IMPORT_FILE)
  const fd = openSync(temp, 'w', SEGMENT_FILE_MODE)
  try {
    writeFully(fd, SEGMENT_MAGIC, 0)
    let position = SEGMENT_HEADER_BYTES
    for (const { key, path } of files) {
      const record = encodeRecord(OP_SET, key, readFileSync(path, 'utf8'))
      writeFully(fd, record, position)
      position += record.length
    }
    if (fsync) fdatasyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(temp, join(dir, segmentFileName(1)))
  if (fsync) syncDirectory(dir)
}

function collectFiles(dir: string, segments: string[], out: Array<{ key: string; path: string }>): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.includes(OLD_TEMP_MARK)) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) collectFiles(path, [...segments, entry.name], out)
    else if (entry.isFile()) out.push({ key: [...segments, entry.name].join(':'), path })
  }
}
