import { join } from 'node:path'
import { readSegment, type ScannedRecord, SEGMENT_HEADER_BYTES, type SegmentDamage, segmentFileName, segmentHeaderDamage } from './segment'

/** An open segment file of a log. */
export interface SegmentFile {
  id: number
  fd: number
  size: number
}

export interface LogDamage extends SegmentDamage {
  /** The damaged file's path. */
  file: string
  /** A crash's unfinished write at the very end of the log: opening truncates it, nothing acknowledged is lost. */
  torn: boolean
}

export type LogEntry<S> = { segment: S; record: ScannedRecord } | { segment: S; damage: LogDamage }

/**
 * Every record of a log's segments (oldest first) and every damaged range,
 * telling a torn write at the log's end, which a crash leaves, from damage,
 * which it cannot: bytes followed by an intact record, anything in a sealed
 * segment, a missing or wrong segment header.
 */
export function* readLog<S extends SegmentFile>(dir: string, segments: S[]): Generator<LogEntry<S>> {
  const tail = logTail(segments)
  for (const segment of segments) {
    const file = join(dir, segmentFileName(segment.id))
    const headerDamage = segmentHeaderDamage(segment.fd, segment.size, file)
    // The records after a damaged header may still be intact: reading goes on.
    if (headerDamage) yield { segment, damage: { file, offset: 0, length: Math.min(segment.size, SEGMENT_HEADER_BYTES), reason: headerDamage, torn: false } }
    for (const entry of readSegment(segment.fd, segment.size)) {
      if (!('reason' in entry)) {
        yield { segment, record: entry }
        continue
      }
      const atEnd = entry.offset + entry.length === segment.size
      const torn = atEnd && segment === tail && !headerDamage
      const why = torn ? '' : atEnd ? ', in a sealed segment, which a crash cannot tear' : `, and an intact record follows at byte ${entry.offset + entry.length}, so a crash did not cause it`
      yield { segment, damage: { file, offset: entry.offset, length: entry.length, reason: entry.reason + why, torn } }
    }
  }
}

/**
 * The segment a crash may have left a torn write at the end of: the newest
 * one holding a record, when every newer one holds only its header (a
 * segment is created when a write no longer fits, before that write and the
 * ones queued ahead of it reach the disk).
 */
function logTail<S extends SegmentFile>(segments: S[]): S | undefined {
  let n = segments.length - 1
  while (n > 0 && segments[n].size === SEGMENT_HEADER_BYTES) n--
  return segments[n]
}
