import { readdirSync, readSync } from 'node:fs'
import { isIntact, readRecordHeader, RECORD_HEADER_BYTES, type RecordOp } from './record'

/** Segments hold all a server stores (password and token hashes among it): for the owner only. */
export const SEGMENT_FILE_MODE = 0o600

/** Every segment file starts with this: the format's name and version. */
export const SEGMENT_MAGIC = Buffer.from('PVLOG\0\0\x01', 'latin1')
export const SEGMENT_HEADER_BYTES = SEGMENT_MAGIC.length

const SEGMENT_NAME = /^(\d{8,})\.log$/
const SCAN_CHUNK_BYTES = 1 << 20

export const segmentFileName = (id: number) => `${String(id).padStart(8, '0')}.log`

/** The ids of the segment files in `dir`, oldest first. */
export function listSegmentIds(dir: string): number[] {
  return readdirSync(dir)
    .map((name) => SEGMENT_NAME.exec(name)?.[1])
    .filter((id) => id !== undefined)
    .map(Number)
    .sort((a, b) => a - b)
}

export interface ScannedRecord {
  offset: number
  op: RecordOp
  key: string
  length: number
  valueLength: number
  /** The whole record's bytes; a view into the scan buffer, valid until the next record is read. */
  bytes: Buffer
}

export interface ScanEnd {
  /** Where the intact records end: the file size, or the offset of the first torn or corrupt record. */
  end: number
  intact: boolean
}

/**
 * The intact records of a segment in order, read in chunks with positional
 * reads. Stops at the first record that is cut short or fails its CRC: only
 * the tail of the active segment can be torn by a crash.
 */
export function* scanSegment(fd: number, size: number): Generator<ScannedRecord, ScanEnd> {
  let buffer = Buffer.allocUnsafe(SCAN_CHUNK_BYTES)
  let bufferStart = 0
  let bufferEnd = 0
  // Makes buffer hold [offset, offset + length), refilling it from `offset` when it does not.
  const load = (offset: number, length: number) => {
    if (offset >= bufferStart && offset + length <= bufferEnd) return offset - bufferStart
    if (length > buffer.length) buffer = Buffer.allocUnsafe(Math.max(length, SCAN_CHUNK_BYTES))
    const wanted = Math.min(buffer.length, size - offset)
    let read = 0
    while (read < wanted) {
      const got = readSync(fd, buffer, read, wanted - read, offset + read)
      if (got === 0) break
      read += got
    }
    bufferStart = offset
    bufferEnd = offset + read
    return 0
  }

  let offset = SEGMENT_HEADER_BYTES
  while (offset < size) {
    if (offset + RECORD_HEADER_BYTES > size) return { end: offset, intact: false }
    const headerAt = load(offset, RECORD_HEADER_BYTES)
    const header = readRecordHeader(buffer, headerAt)
    if (!header || offset + header.length > size) return { end: offset, intact: false }
    const at = load(offset, header.length)
    if (bufferEnd - bufferStart - at < header.length || !isIntact(buffer, at, header.length)) return { end: offset, intact: false }
    yield {
      offset,
      op: header.op,
      key: buffer.toString('utf8', at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + header.keyLength),
      length: header.length,
      valueLength: header.valueLength,
      bytes: buffer.subarray(at, at + header.length),
    }
    offset += header.length
  }
  return { end: offset, intact: true }
}
