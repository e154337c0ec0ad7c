import { crc32 } from 'node:zlib'

/**
 * One entry of the log: a set or a removal of one key.
 *
 * ```
 * crc32 u32 | op u8 | key length u16 | value length u32 | key (UTF-8) | value (UTF-8)
 * ```
 *
 * The CRC covers everything after itself, so a record cut short or torn by a
 * crash mid-write is recognised and never applied. Integers are little-endian.
 */
export const RECORD_HEADER_BYTES = 11
export const OP_SET = 1
export const OP_REMOVE = 2
export type RecordOp = typeof OP_SET | typeof OP_REMOVE

const MAX_KEY_BYTES = 0xffff

export interface RecordHeader {
  op: RecordOp
  keyLength: number
  valueLength: number
  /** Bytes of the whole record, header included. */
  length: number
}

export function encodeRecord(op: RecordOp, key: string, value = ''): Buffer {
  const keyLength = Buffer.byteLength(key)
  if (keyLength > MAX_KEY_BYTES) throw new Error(`[provisio] [fs-storage] key of ${keyLength} bytes is too long (at most ${MAX_KEY_BYTES})`)
  const valueLength = Buffer.byteLength(value)
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + keyLength + valueLength)
  record.writeUInt8(op, 4)
  record.writeUInt16LE(keyLength, 5)
  record.writeUInt32LE(valueLength, 7)
  record.write(key, RECORD_HEADER_BYTES, 'utf8')
  record.write(value, RECORD_HEADER_BYTES + keyLength, 'utf8')
  record.writeUInt32LE(crc32(record.subarray(4)), 0)
  return record
}

/** The header at `at`, or undefined when its op is not one this format knows (garbage, not a record). */
export function readRecordHeader(buffer: Buffer, at: number): RecordHeader | undefined {
  const op = buffer.readUInt8(at + 4)
  if (op !== OP_SET && op !== OP_REMOVE) return undefined
  const keyLength = buffer.readUInt16LE(at + 5)
  const valueLength = buffer.readUInt32LE(at + 7)
  return { op, keyLength, valueLength, length: RECORD_HEADER_BYTES + keyLength + valueLength }
}

/** Whether the `length` bytes at `at` are the record their CRC says they are. */
export function isIntact(buffer: Buffer, at: number, length: number): boolean {
  return buffer.readUInt32LE(at) === crc32(buffer.subarray(at + 4, at + length))
}
