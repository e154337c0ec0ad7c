import { KeyDirectory } from './key-directory'

/** Where one record lives in the log. */
export interface Location {
  segment: number
  offset: number
  /** Bytes of the whole record. */
  length: number
  valueLength: number
  /**
   * The oldest segment that may still hold a set of this key: a removal must
   * be kept while such a segment exists, or replaying it would bring the key back.
   */
  since: number
  /** The encoded record while it is not yet written to its segment: reads are served from it. */
  pending?: Buffer
}

/**
 * What the log holds in memory: where each live key's latest value is, which
 * removals must survive compaction, and how many bytes of each segment are
 * dead (overwritten or removed), which decides what compaction rewrites.
 *
 * A removal needs to be kept only while an older segment may hold a set of
 * its key; those are few (each is a dead record in a segment not compacted
 * yet), so they are kept in memory too and the others are dropped at once.
 */
export class LogIndex {
  readonly live = new KeyDirectory<Location>()
  private readonly removals = new Map<string, Location>()
  private readonly deadBytes = new Map<number, number>()
  /** Segment ids in use, oldest first. */
  private readonly segments: number[] = []

  addSegment(id: number): void {
    this.segments.push(id)
    this.deadBytes.set(id, 0)
  }

  dead(segment: number): number {
    return this.deadBytes.get(segment) ?? 0
  }

  /** Records a set of `key` at `location`, which must be newer than every record applied so far. */
  set(key: string, location: Location): void {
    const previous = this.live.set(key, location)
    const removal = previous ? undefined : this.removals.get(key)
    if (removal) this.removals.delete(key)
    const superseded = previous ?? removal
    if (superseded) this.markDead(superseded)
    location.since = superseded ? superseded.since : location.segment
  }

  /** Records a removal of `key` written at `location`. */
  remove(key: string, location: Location): void {
    const previous = this.live.delete(key) ?? this.removals.get(key)
    if (previous) this.markDead(previous)
    this.removals.delete(key)
    if (!previous) return this.markDead(location)
    location.since = previous.since
    if (this.mustKeep(location)) this.removals.set(key, location)
    else this.markDead(location)
  }

  /** Whether the record at `segment`/`offset` is the one compaction must carry over for `key`. */
  isCurrent(key: string, removal: boolean, segment: number, offset: number): boolean {
    const location = removal ? this.removals.get(key) : this.live.get(key)
    return location !== undefined && location.segment === segment && location.offset === offset
  }

  /** Records that compaction rewrote the removal of `key` at `location`. */
  moveRemoval(key: string, location: Location): void {
    const previous = this.removals.get(key)!
    this.markDead(previous)
    location.since = previous.since
    this.removals.set(key, location)
  }

  /** Forgets a segment deleted by compaction, and the removals that only it made necessary. */
  dropSegment(id: number): void {
    this.segments.splice(this.segments.indexOf(id), 1)
    this.deadBytes.delete(id)
    this.dropUnneededRemovals()
  }

  /** After the segments are scanned: drops removals whose older sets are gone already. */
  dropUnneededRemovals(): void {
    for (const [key, location] of this.removals) {
      if (this.mustKeep(location)) continue
      this.removals.delete(key)
      this.markDead(location)
    }
  }

  private mustKeep(removal: Location): boolean {
    // Some segment older than the removal's own and not older than the key's first set.
    return this.segments.some((id) => id >= removal.since && id < removal.segment)
  }

  private markDead(location: Location): void {
    const dead = this.deadBytes.get(location.segment)
    if (dead !== undefined) this.deadBytes.set(location.segment, dead + location.length)
  }
}
