import { crc32 } from 'node:zlib'
import { StorageCorruptionError } from '../errors'

/** Bytes before a value's text: its CRC32, little-endian. */
export const CHECKSUM_BYTES = 4

/**
 * The reason a stored value (checksum and UTF-8 text) is damaged, or
 * undefined when it is intact. LMDB keeps no checksum of its own: without
 * this, a flipped bit in a value would be read back as a different value.
 */
export function valueDamage(bytes: Uint8Array): string | undefined {
  if (bytes.length < CHECKSUM_BYTES) return `a value is ${bytes.length} bytes, shorter than its ${CHECKSUM_BYTES}-byte checksum`
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  if (view.readUInt32LE(0) !== crc32(view.subarray(CHECKSUM_BYTES))) return `a value of ${bytes.length - CHECKSUM_BYTES} bytes fails its CRC32 check`
  return undefined
}

/** The text of a value that `valueDamage` found intact. */
export function valueText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8', CHECKSUM_BYTES)
}

/**
 * The LMDB value encoder of the `lmdb` driver's database: strings
 * (unstorage's serialised values) stored as their CRC32 and UTF-8 bytes, and
 * checked on every read. `file` names the data file in the error.
 */
export function checksummedStrings(file: string) {
  return {
    encode(value: unknown): Buffer {
      if (typeof value !== 'string') throw new TypeError(`[provisio] [lmdb] values are strings (unstorage's serialised form), got ${typeof value}`)
      const bytes = Buffer.allocUnsafe(CHECKSUM_BYTES + Buffer.byteLength(value))
      bytes.write(value, CHECKSUM_BYTES, 'utf8')
      bytes.writeUInt32LE(crc32(bytes.subarray(CHECKSUM_BYTES)), 0)
      return bytes
    },
    decode(bytes: Uint8Array): string {
      const damage = valueDamage(bytes)
      if (damage) throw new StorageCorruptionError(file, undefined, `${damage} on reading`)
      return valueText(bytes)
    },
  }
}
