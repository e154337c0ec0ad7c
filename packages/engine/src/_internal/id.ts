import { randomFillSync } from 'node:crypto'

let lastMs = 0
let sequence = 0
// Random bytes are drawn in bulk: one system call per 512 ids instead of one per id.
const pool = Buffer.alloc(8 * 512)
let poolOffset = pool.length

/**
 * A UUID v7: time-ordered, so sorting ids sorts by creation time. That lets
 * the storage indexes be plain key names, listed in order without reading records.
 * Ids made in the same millisecond keep their order through a 12-bit counter.
 */
export function createId(now = Date.now()): string {
  if (now <= lastMs) {
    sequence++
    if (sequence > 0xfff) {
      lastMs++
      sequence = 0
    }
    now = lastMs
  } else {
    lastMs = now
    sequence = 0
  }
  if (poolOffset >= pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const at = poolOffset
  poolOffset += 8
  const hex = now.toString(16).padStart(12, '0')
  const seq = (0x7000 | sequence).toString(16)
  const variant = BYTE_HEX[(pool[at] & 0x3f) | 0x80]
  return `${hex.slice(0, 8)}-${hex.slice(8)}-${seq}-${variant}${BYTE_HEX[pool[at + 1]]}-${BYTE_HEX[pool[at + 2]]}${BYTE_HEX[pool[at + 3]]}${BYTE_HEX[pool[at + 4]]}${BYTE_HEX[pool[at + 5]]}${BYTE_HEX[pool[at + 6]]}${BYTE_HEX[pool[at + 7]]}`
}

const BYTE_HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))
