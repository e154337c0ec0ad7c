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
  const random = pool.subarray(poolOffset, (poolOffset += 8))
  const hex = now.toString(16).padStart(12, '0')
  const seq = (0x7000 | sequence).toString(16)
  const variant = ((random[0] & 0x3f) | 0x80).toString(16).padStart(2, '0')
  const tail = random.subarray(1).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8)}-${seq}-${variant}${tail.slice(0, 2)}-${tail.slice(2, 14)}`
}
