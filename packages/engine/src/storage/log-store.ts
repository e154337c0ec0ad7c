import { closeSync, fdatasync as fdatasyncCallback, fdatasyncSync, fstatSync, ftruncateSync, linkSync, mkdirSync, openSync, readdirSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { StorageCorruptionError } from '../errors'
import { compactSegment } from './compaction'
import { readFully, syncDirectory, writeFully } from './file-io'
import { GroupCommit } from './group-commit'
import { importLegacyLayout } from './legacy'
import { type DirectoryLock, lockDirectory } from './lock'
import { LogIndex, type Location } from './log-index'
import { type LogDamage, readLog } from './log-scan'
import { encodeRecord, OP_REMOVE, OP_SET, readRecordHeader } from './record'
import { isSegmentTempName, listSegmentIds, type ScannedRecord, SEGMENT_FILE_MODE, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, segmentFileName, segmentTempName } from './segment'

const fdatasync = promisify(fdatasyncCallback)

/** A sealed segment is compacted once more than this share of it is dead. */
const COMPACT_DEAD_SHARE = 0.5

export interface LogStoreOptions {
  dir: string
  fsync: boolean
  segmentBytes: number
}

/** A change to one key: a value to set, or none to remove the key. */
export interface Change {
  key: string
  value?: string
}

export interface Segment {
  id: number
  fd: number
  /** Bytes accepted into the segment, written or not. */
  size: number
  /** Bytes written to the file. */
  written: number
  /** Whether the segment's directory entry is known to be durable. */
  listed: boolean
}

/**
 * A log-structured key-value store over one directory (Bitcask-like): every
 * change is appended to the active segment file, an in-memory index says
 * where each key's latest value is, and sealed segments that are mostly dead
 * are compacted away. Changes are group-committed: all those accepted while a
 * flush runs share the next write and disk flush.
 */
export class LogStore {
  private readonly segments = new Map<number, Segment>()
  private readonly index = new LogIndex()
  private readonly commits = new GroupCommit<Location>((items) => this.flush(items))
  private active!: Segment
  private failure: Error | undefined
  private closing: Promise<void> | undefined
  private compaction: Promise<void> | undefined

  private constructor(
    private readonly options: LogStoreOptions,
    private readonly lock: DirectoryLock,
  ) {}

  /** Opens (or creates) the store in `options.dir`: takes its lock and rebuilds the index from the segments. */
  static open(options: LogStoreOptions): LogStore {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 })
    const store = new LogStore(options, lockDirectory(options.dir))
    try {
      store.load()
    } catch (error) {
      store.closeFiles()
      store.lock.release()
      throw error
    }
    store.scheduleCompaction()
    return store
  }

  has(key: string): boolean {
    return this.index.live.get(key) !== undefined
  }

  keys(base: string): string[] {
    return this.index.live.keys(base)
  }

  get(key: string): string | null {
    const location = this.index.live.get(key)
    if (!location) return null
    const valueAt = location.length - location.valueLength
    if (location.pending) return location.pending.toString('utf8', valueAt)
    if (!location.valueLength) return ''
    const value = Buffer.allocUnsafe(location.valueLength)
    readFully(this.segments.get(location.segment)!.fd, value, location.valueLength, location.offset + valueAt)
    return value.toString('utf8')
  }

  /**
   * Applies the changes in order: visible to reads at once, durable when the
   * promise resolves. Removing a key that does not exist writes nothing.
   */
  write(changes: Iterable<Change>): Promise<void> {
    this.assertWritable()
    // Encoded first: a key that cannot be encoded must fail the call before any change is applied.
    const encoded = Array.from(changes, ({ key, value }) => ({
      key,
      removal: value === undefined,
      record: value === undefined ? encodeRecord(OP_REMOVE, key) : encodeRecord(OP_SET, key, value),
    }))
    const records: Location[] = []
    for (const { key, record, removal } of encoded) {
      if (removal && !this.has(key)) continue
      const location = this.append(record)
      if (removal) this.index.remove(key, location)
      else this.index.set(key, location)
      records.push(location)
    }
    return this.commits.add(records)
  }

  clear(base: string): Promise<void> {
    return this.write(this.keys(base).map((key) => ({ key })))
  }

  /** Flushes what was accepted, closes the files and releases the lock. Further writes fail. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.compaction
      await this.commits.drain()
      this.closeFiles()
      this.lock.release()
    })()
    return this.closing
  }

  /** The oldest sealed, fully written segment that is mostly dead, if any. */
  private compactionCandidate(): Segment | undefined {
    for (const segment of this.segments.values()) {
      if (segment === this.active || segment.written < segment.size) continue
      if (this.index.dead(segment.id) > (segment.size - SEGMENT_HEADER_BYTES) * COMPACT_DEAD_SHARE) return segment
    }
    return undefined
  }

  private scheduleCompaction(): void {
    if (this.compaction || this.closing || this.failure) return
    const segment = this.compactionCandidate()
    if (!segment) return
    this.compaction = compactSegment(segment, {
      isCurrent: (key, removal, offset) => this.index.isCurrent(key, removal, segment.id, offset),
      copy: (key, removal, record) => this.copy(key, removal, record),
      stopped: () => this.closing !== undefined || this.failure !== undefined,
    })
      .then((done) => {
        if (done) this.dropSegment(segment)
      })
      .catch((error: unknown) => {
        this.failure ??= new Error(`[provisio] [fs-storage] compaction of ${segmentFileName(segment.id)} in ${this.options.dir} failed: ${(error as Error).message}`, { cause: error })
      })
      .finally(() => {
        this.compaction = undefined
        this.scheduleCompaction()
      })
  }

  /** Appends an intact record read from a segment being compacted, through the normal write path. */
  private copy(key: string, removal: boolean, record: Buffer): Promise<void> {
    const location = this.append(record)
    if (removal) this.index.moveRemoval(key, location)
    else this.index.set(key, location)
    return this.commits.add([location])
  }

  private dropSegment(segment: Segment): void {
    this.segments.delete(segment.id)
    closeSync(segment.fd)
    unlinkSync(join(this.options.dir, segmentFileName(segment.id)))
    // Until the removal is durable, the segment may come back after a power cut, and with it
    // sets that the removals dropped below would no longer hide.
    if (this.options.fsync) syncDirectory(this.options.dir)
    this.index.dropSegment(segment.id)
  }

  /** Places a record at the end of the log, starting a new segment when the active one is full. */
  private append(record: Buffer): Location {
    const { valueLength } = readRecordHeader(record, 0)!
    let active = this.active
    if (active.size + record.length > this.options.segmentBytes && active.size > SEGMENT_HEADER_BYTES) active = this.createSegment(active.id + 1)
    const location: Location = { segment: active.id, offset: active.size, length: record.length, valueLength, since: active.id, pending: record }
    active.size += record.length
    return location
  }

  /** Writes a batch of records (in order, one write per segment) and, with `fsync`, flushes them to the disk. */
  private async flush(records: Location[]): Promise<void> {
    if (this.failure) throw this.failure
    try {
      for (let start = 0; start < records.length; ) {
        const segment = this.segments.get(records[start].segment)!
        let end = start + 1
        while (end < records.length && records[end].segment === segment.id) end++
        const run = records.slice(start, end)
        writeFully(segment.fd, run.length === 1 ? run[0].pending! : Buffer.concat(run.map((record) => record.pending!)), run[0].offset)
        segment.written = run[run.length - 1].offset + run[run.length - 1].length
        for (const record of run) record.pending = undefined
        // Segment by segment, so that a power cut can only tear the tail of the newest one.
        if (this.options.fsync) await fdatasync(segment.fd)
        if (!segment.listed) {
          if (this.options.fsync) syncDirectory(this.options.dir)
          segment.listed = true
        }
        start = end
      }
    } catch (error) {
      // The log's end is unknown now: refuse further writes rather than append after a hole.
      this.failure = new Error(`[provisio] [fs-storage] writing to ${this.options.dir} failed, no further writes are accepted: ${(error as Error).message}`, { cause: error })
      throw this.failure
    }
    this.scheduleCompaction()
  }

  private assertWritable(): void {
    if (this.closing) throw new Error(`[provisio] [fs-storage] ${this.options.dir} is closed`)
    if (this.failure) throw this.failure
  }

  /**
   * Rebuilds the index from the segments, oldest first. A record cut short or
   * torn at the very end of the log is a crash's unfinished write and is
   * truncated; any other damage is refused, before anything is changed.
   */
  private load(): void {
    const { dir, fsync } = this.options
    let ids = listSegmentIds(dir)
    if (!ids.length) {
      importLegacyLayout(dir, fsync)
      ids = listSegmentIds(dir)
    }
    for (const [n, id] of ids.entries()) {
      const fd = openSync(join(dir, segmentFileName(id)), n === ids.length - 1 ? 'r+' : 'r')
      const size = fstatSync(fd).size
      this.segments.set(id, { id, fd, size, written: size, listed: true })
      this.index.addSegment(id)
    }
    let torn: { segment: Segment; damage: LogDamage } | undefined
    for (const entry of readLog(dir, [...this.segments.values()])) {
      if ('record' in entry) this.apply(entry.segment, entry.record)
      else if (entry.damage.torn) torn = entry
      else throw new StorageCorruptionError(entry.damage.file, entry.damage.offset, entry.damage.reason)
    }
    if (torn) this.truncate(torn.segment, torn.damage)
    this.index.dropUnneededRemovals()
    if (!ids.length) this.createSegment(1)
    else this.active = this.segments.get(ids[ids.length - 1])!
    for (const name of readdirSync(dir)) if (isSegmentTempName(name)) unlinkSync(join(dir, name))
  }

  private apply(segment: Segment, { key, op, offset, length, valueLength }: ScannedRecord): void {
    const location: Location = { segment: segment.id, offset, length, valueLength, since: segment.id }
    if (op === OP_SET) this.index.set(key, location)
    else this.index.remove(key, location)
  }

  /** Cuts a torn write off the end of the log. */
  private truncate(segment: Segment, { file, offset }: LogDamage): void {
    // Its own descriptor: the segment's may be read-only, when newer ones hold only their header.
    const fd = openSync(file, 'r+')
    try {
      ftruncateSync(fd, offset)
      if (this.options.fsync) fdatasyncSync(fd)
    } finally {
      closeSync(fd)
    }
    segment.size = segment.written = offset
  }

  /**
   * Starts a segment: written with its header under a temporary name and
   * linked into place (failing if the name is taken), so that a segment file
   * never exists without its header and an empty or shorter one is damage.
   */
  private createSegment(id: number): Segment {
    const path = join(this.options.dir, segmentFileName(id))
    const temp = segmentTempName(path)
    const fd = openSync(temp, 'w+', SEGMENT_FILE_MODE)
    try {
      writeFully(fd, SEGMENT_MAGIC, 0)
      if (this.options.fsync) fdatasyncSync(fd)
      linkSync(temp, path)
      unlinkSync(temp)
    } catch (error) {
      closeSync(fd)
      throw error
    }
    const segment: Segment = { id, fd, size: SEGMENT_HEADER_BYTES, written: SEGMENT_HEADER_BYTES, listed: false }
    this.segments.set(id, segment)
    this.index.addSegment(id)
    this.active = segment
    return segment
  }

  private closeFiles(): void {
    for (const segment of this.segments.values()) closeSync(segment.fd)
    this.segments.clear()
  }
}
