import { readdirSync } from 'node:fs'
import { isUtf8 } from 'node:buffer'
import { readFully } from './file-io'
import { isIntact, OP_REMOVE, readRecordHeader, RECORD_HEADER_BYTES, type RecordHeader, type RecordOp } from './record'

/** Segments hold all a server stores (password and token hashes among it): for the owner only. */
export const SEGMENT_FILE_MODE = 0o600

/** Every segment file starts with this: the format's name and version. */
export const SEGMENT_MAGIC = Buffer.from('PVLOG\0\0\x01', 'latin1')
export const SEGMENT_HEADER_BYTES = SEGMENT_MAGIC.length

const SEGMENT_NAME = /^(\d{8,})\.log$/
const SCAN_CHUNK_BYTES = 1 << 20

export const segmentFileName = (id: number) => `${String(id).padStart(8, '0')}.log`

/** Where a segment is written before it is linked into place; one left by a crash holds nothing else. */
export const segmentTempName = (path: string) => `${path}.new`
export const isSegmentTempName = (name: string) => /^\d{8,}\.log\.new$/.test(name)

/** The ids of the segment files in `dir`, oldest first. */
export function listSegmentIds(dir: string): number[] {
  return readdirSync(dir)
    .map((name) => SEGMENT_NAME.exec(name)?.[1])
    .filter((id) => id !== undefined)
    .map(Number)
    .sort((a, b) => a - b)
}

/**
 * What is wrong with the header of a segment file, or undefined when it is
 * this format's. A segment file is created with its header in place (see
 * `LogStore`), so a shorter file is damage, never a crash's leftover.
 */
export function segmentHeaderDamage(fd: number, size: number, file: string): string | undefined {
  if (size === 0) return `the file is empty (a segment starts with a ${SEGMENT_HEADER_BYTES}-byte header)`
  const head = Buffer.alloc(Math.min(size, SEGMENT_HEADER_BYTES))
  readFully(fd, head, head.length, 0)
  if (head.equals(SEGMENT_MAGIC)) return undefined
  const versionAt = SEGMENT_HEADER_BYTES - 1
  if (size >= SEGMENT_HEADER_BYTES && head.subarray(0, versionAt).equals(SEGMENT_MAGIC.subarray(0, versionAt))) {
    // Not damage: salvaging would not help, a newer Provisio reads it.
    throw new Error(`[provisio] [fs-storage] ${file} is of segment format ${head[versionAt]}, newer than this version reads (${SEGMENT_MAGIC[versionAt]})`)
  }
  if (size < SEGMENT_HEADER_BYTES && head.equals(SEGMENT_MAGIC.subarray(0, size))) return `the file ends within the ${SEGMENT_HEADER_BYTES}-byte segment header (${size} bytes)`
  return `the file does not start with a segment header (PVLOG, format ${SEGMENT_MAGIC[versionAt]})`
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

/** Bytes of a segment that hold no intact record: from `offset` to the next intact record or the end of the file. */
export interface SegmentDamage {
  offset: number
  length: number
  /** What is wrong with the bytes at `offset`. */
  reason: string
}

/**
 * The intact records of a segment in order. Stops at the first record that
 * is cut short or fails its CRC: compaction reads only segments whose every
 * record was checked on open.
 */
export function* scanSegment(fd: number, size: number): Generator<ScannedRecord, ScanEnd> {
  const reader = new SegmentReader(fd, size)
  let offset = SEGMENT_HEADER_BYTES
  while (offset < size) {
    const record = reader.recordAt(offset)
    if (typeof record === 'string') return { end: offset, intact: false }
    yield record
    offset += record.length
  }
  return { end: offset, intact: true }
}

/**
 * Every intact record of a segment in order and, between them, each damaged
 * range: past damage, the reading resumes at the next offset where an intact
 * record starts (a known type, a key in UTF-8, a length within the file and a
 * matching CRC), so one bad byte costs one record, not the rest of the file.
 */
export function* readSegment(fd: number, size: number): Generator<ScannedRecord | SegmentDamage> {
  const reader = new SegmentReader(fd, size)
  let offset = SEGMENT_HEADER_BYTES
  while (offset < size) {
    const record = reader.recordAt(offset)
    if (typeof record !== 'string') {
      yield record
      offset += record.length
      continue
    }
    const next = reader.nextRecordAfter(offset)
    yield { offset, length: next - offset, reason: record }
    offset = next
  }
}

/** Positional reads of a segment through one chunk-sized buffer. */
class SegmentReader {
  private buffer = Buffer.allocUnsafe(SCAN_CHUNK_BYTES)
  private bufferStart = 0
  private bufferEnd = 0

  constructor(
    private readonly fd: number,
    private readonly size: number,
  ) {}

  /** The intact record at `offset`, or what is wrong with the bytes there. */
  recordAt(offset: number): ScannedRecord | string {
    const left = this.size - offset
    if (left < RECORD_HEADER_BYTES) return `record header cut short: ${left} of ${RECORD_HEADER_BYTES} bytes before the end of the file`
    const headerAt = this.load(offset, RECORD_HEADER_BYTES)
    const header = readRecordHeader(this.buffer, headerAt)
    if (!header) return `no record starts here (its type byte is ${this.buffer[headerAt + 4]}, not 1 or 2)`
    if (header.length > left) return `record of ${header.length} bytes runs past the end of the file (${left} bytes left)`
    const at = this.load(offset, header.length)
    if (!isIntact(this.buffer, at, header.length)) return `record of ${header.length} bytes fails its CRC32 check`
    return this.scanned(offset, at, header)
  }

  /** The first offset after `from` where an intact record starts, or the file size. */
  nextRecordAfter(from: number): number {
    for (let offset = from + 1; offset + RECORD_HEADER_BYTES <= this.size; offset++) {
      const headerAt = this.load(offset, RECORD_HEADER_BYTES)
      const header = readRecordHeader(this.buffer, headerAt)
      if (!header || header.length > this.size - offset) continue
      // Cheap tests before the CRC over the whole record: garbage rarely has a UTF-8 key.
      if (header.op === OP_REMOVE && header.valueLength) continue
      const keyAt = this.load(offset, RECORD_HEADER_BYTES + header.keyLength) + RECORD_HEADER_BYTES
      if (!isUtf8(this.buffer.subarray(keyAt, keyAt + header.keyLength))) continue
      if (isIntact(this.buffer, this.load(offset, header.length), header.length)) return offset
    }
    return this.size
  }

  private scanned(offset: number, at: number, header: RecordHeader): ScannedRecord {
    const { buffer } = this
    return {
      offset,
      op: header.op,
      key: buffer.toString('utf8', at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + header.keyLength),
      length: header.length,
      valueLength: header.valueLength,
      bytes: buffer.subarray(at, at + header.length),
    }
  }

  /** Makes the buffer hold [offset, offset + length) of the file, which the caller knows exist; returns where it starts. */
  private load(offset: number, length: number): number {
    if (offset >= this.bufferStart && offset + length <= this.bufferEnd) return offset - this.bufferStart
    if (length > this.buffer.length) this.buffer = Buffer.allocUnsafe(Math.max(length, SCAN_CHUNK_BYTES))
    const wanted = Math.min(this.buffer.length, this.size - offset)
    readFully(this.fd, this.buffer, wanted, offset)
    this.bufferStart = offset
    this.bufferEnd = offset + wanted
    return 0
  }
}
