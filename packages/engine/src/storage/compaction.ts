import { OP_REMOVE } from './record'
import { scanSegment } from './segment'
import type { Segment } from './log-store'

/** Compaction reads a segment synchronously, so it lets other work run after each this many bytes. */
const YIELD_BYTES = 1 << 20

export interface CompactionHost {
  /** Whether the record at `offset` of the segment is still the latest word on `key`. */
  isCurrent(key: string, removal: boolean, offset: number): boolean
  /** Appends a copy of the record through the normal write path; resolves when it is durable. */
  copy(key: string, removal: boolean, record: Buffer): Promise<void>
  /** Whether the store is closing or failed, so compaction should stop where it is. */
  stopped(): boolean
}

/**
 * Copies the records of a sealed segment that are still current into the
 * active segment. Each record's check and copy happen in one synchronous step,
 * so a key written meanwhile keeps its newer value: its own record lands after
 * the copy, or the check sees it and skips the old one. Resolves true once
 * every copy is durable and the segment may be deleted, false if stopped first.
 */
export async function compactSegment(segment: Segment, host: CompactionHost): Promise<boolean> {
  const copies = new Set<Promise<void>>()
  const records = scanSegment(segment.fd, segment.size)
  let sinceYield = 0
  let next = records.next()
  for (; !next.done; next = records.next()) {
    const { key, op, offset, bytes } = next.value
    const removal = op === OP_REMOVE
    // The scan reuses its buffer: the copy needs bytes of its own.
    if (host.isCurrent(key, removal, offset)) copies.add(host.copy(key, removal, Buffer.from(bytes)))
    sinceYield += bytes.length
    if (sinceYield >= YIELD_BYTES) {
      sinceYield = 0
      await new Promise((resolve) => setImmediate(resolve))
      if (host.stopped()) return false
    }
  }
  if (!next.value.intact) throw new Error(`segment ${segment.id} is corrupt at byte ${next.value.end}`)
  await Promise.all(copies)
  return !host.stopped()
}
