import { randomFillSync } from 'node:crypto'

let lastMs = -1
let sequence = 0
// Random bytes are drawn in bulk: one system call per 256 ids (each audited request makes one).
const pool = Buffer.alloc(16 * 256)
let poolOffset = pool.length

function randomId(): Buffer {
  if (poolOffset === pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  poolOffset += 16
  return Buffer.from(pool.subarray(poolOffset - 16, poolOffset))
}

/**
 * A UUIDv7: its first 48 bits are the millisecond time, so ids (and storage keys built
 * from them) sort by creation time as plain strings. Ids made in the same millisecond by
 * this process keep their order through a 12-bit counter.
 */
export function createTimeOrderedId(ms: number = Date.now()): string {
  const bytes = randomId()
  if (ms === lastMs) {
    sequence = (sequence + 1) & 0xfff
  } else {
    lastMs = ms
    // A random start in the lower half, so that a burst within one millisecond rarely wraps.
    sequence = ((bytes[6] << 8) | bytes[7]) & 0x7ff
  }
  bytes.writeUIntBE(Math.max(0, Math.floor(ms)), 0, 6)
  bytes[6] = 0x70 | (sequence >> 8)
  bytes[7] = sequence & 0xff
  bytes[8] = 0x80 | (bytes[8] & 0x3f)
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** The millisecond time a `createTimeOrderedId` id was made at. */
export function timeOfId(id: string): number {
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)
}
