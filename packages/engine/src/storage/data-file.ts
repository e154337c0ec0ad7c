import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import * as lmdb from 'lmdb'
import type { RootDatabase } from 'lmdb'
import { CHECKSUM_BYTES, valueDamage } from './checksum'

/** The file that holds an LMDB environment's data, in its directory. */
export const DATA_FILE = 'data.mdb'
/** The named database that holds the storage's entries; the root's other named databases are callers' own. */
export const DATA_DATABASE = 'provisio'

/** Bytes of a data file that hold nothing readable. */
export interface DataFileDamage {
  /** Where the damage starts. */
  offset: number
  /** Bytes it covers: a page, a value, or the part of the file that is missing. */
  length: number
  reason: string
}

export interface DataFileScan {
  file: string
  bytes: number
  /** Entries of the store read intact. */
  entries: number
  /** In the order found: the meta pages and the file's length first, then the pages in key order. */
  damage: DataFileDamage[]
}

/** Receives each intact entry, in key order: its key, and its value's text bytes (checksum checked and removed). */
export type EntryReader = (key: string, text: Buffer) => void

// LMDB's on-disk format (liblmdb mdb.c, data format 2, 64-bit): every page starts with a
// 24-byte header (page number u64, txnid u64, pad u16, flags u16, lower u16, upper u16), the two
// meta pages hold an MDB_meta after it, branch and leaf pages an array of node offsets.
const MAGIC = 0xbeefc0de
const DATA_FORMAT = 2
const PAGE_HEADER = 24
const P_BRANCH = 0x01
const P_LEAF = 0x02
const P_OVERFLOW = 0x04
const P_META = 0x08
const F_BIGDATA = 0x01
const F_SUBDATA = 0x02
const NODE_HEADER = 8
// In MDB_meta: the free-page database at 24, the main database at 72, each an MDB_db of 48
// bytes (pad u32 (the page size, in the free database's), flags u16, depth u16, 4 counts u64, root u64).
const FREE_DB = 24
const MAIN_DB = 72
const LAST_PAGE = 120
const TXNID = 128
const NO_PAGE = 0xffffffffffffffffn
const MAX_DEPTH = 32

/** lmdb's decoder of its key encoding (ordered-binary): exported at run time, missing from its types. */
const bufferToKeyValue = (lmdb as unknown as { bufferToKeyValue(bytes: Buffer): unknown }).bufferToKeyValue

interface Meta {
  page: number
  txnid: bigint
  pageSize: number
  lastPage: number
  free: Tree
  main: Tree
}

interface Tree {
  root: bigint
  entries: bigint
}

/** What a tree's leaves hold: the root's named databases, the storage's entries, or records of LMDB or a caller. */
type TreeKind = 'main' | 'entries' | 'other'

/**
 * Reads an LMDB data file page by page, without LMDB and without changing
 * it, and reports what is damaged: meta pages, a file shorter than its meta
 * page says, pages that are not what their parent says they are, values whose
 * checksum fails, keys out of order. LMDB itself would take an empty file for
 * a new store, fall back to the older meta page silently, and crash on a page
 * past the end of a cut file (it maps the file into memory): this is how a
 * store is checked before LMDB opens it. Past a damaged page the reading
 * continues with the next one, so `read` gets every intact entry.
 */
export function scanDataFile(file: string, read?: EntryReader): DataFileScan {
  const fd = openSync(file, 'r')
  try {
    return new DataFileScanner(file, fd, fstatSync(fd).size, read).scan()
  } finally {
    closeSync(fd)
  }
}

/** Scans of a file in use: a scan that finds damage is repeated, in case a meta page was read as it was being written. */
const IN_USE_SCANS = 3

/**
 * `scanDataFile` for a data file that other processes have open and write.
 * A read transaction is held for the whole scan: LMDB then reuses no page of
 * the snapshot it pins, nor of any committed after it (only pages freed
 * before the oldest reader's snapshot are reused), so the newest tree on disk
 * stays whole while it is read. A meta page read while a commit writes it
 * would look damaged: a scan that finds damage is repeated, and only damage
 * that stays is reported (and only the last scan's entries reach `read`).
 */
export function scanDataFileInUse(root: RootDatabase, file: string, read?: EntryReader): DataFileScan {
  const pinned = root.useReadTransaction()
  try {
    for (let scan = 1; ; scan++) {
      const entries: Array<[string, Buffer]> = []
      const result = scanDataFile(file, read && ((key, text) => entries.push([key, text])))
      if (!result.damage.length || scan === IN_USE_SCANS) {
        for (const [key, text] of entries) read?.(key, text)
        return result
      }
    }
  } finally {
    pinned.done()
  }
}

class DataFileScanner {
  private readonly damage: DataFileDamage[] = []
  private readonly visited = new Set<number>()
  private pageSize = 0
  private lastPage = 0
  private entries = 0
  private previousKey: Buffer | undefined

  constructor(
    private readonly file: string,
    private readonly fd: number,
    private readonly bytes: number,
    private readonly read: EntryReader | undefined,
  ) {}

  scan(): DataFileScan {
    const meta = this.readMetas()
    if (meta) {
      this.pageSize = meta.pageSize
      this.lastPage = meta.lastPage
      const expected = (meta.lastPage + 1) * meta.pageSize
      if (this.bytes < expected) {
        this.report(
          this.bytes,
          expected - this.bytes,
          `the file ends at byte ${this.bytes}, but meta page ${meta.page} (transaction ${meta.txnid}) says it holds ${meta.lastPage + 1} pages of ${meta.pageSize} bytes (${expected} bytes): it was cut short`,
        )
      }
      this.walkTree('the main database', meta.main, 'main', meta.page * meta.pageSize)
      // The free-page list: damage there makes LMDB hand out pages that are in use.
      this.walkTree('the free-page list', meta.free, 'other', meta.page * meta.pageSize)
    }
    return { file: this.file, bytes: this.bytes, entries: this.entries, damage: this.damage }
  }

  /**
   * The meta page whose tree to read: the newer of the two when both are
   * intact and agree. Otherwise the damage is reported and the tree of the
   * intact one, or of the older one, is read, for check and salvage: LMDB
   * keeps the tree of the transaction before the last one intact.
   */
  private readMetas(): Meta | undefined {
    if (this.bytes === 0) {
      this.report(0, 0, 'the file is empty (an LMDB data file starts with two meta pages), so LMDB would take it for a new store')
      return undefined
    }
    const first = this.readMeta(0, 0)
    // The second meta page is one page in; without the first, its page size is found by trying each size LMDB allows.
    const sizes = typeof first === 'string' ? [4096, 8192, 16384, 32768, 65536, 1024, 2048, 512] : [first.pageSize]
    let second: Meta | string = 'the file ends before meta page 1'
    for (const size of sizes) {
      second = this.readMeta(1, size)
      if (typeof second !== 'string') break
    }
    const pageSize = typeof first !== 'string' ? first.pageSize : typeof second !== 'string' ? second.pageSize : 0
    if (typeof first === 'string') this.report(0, pageSize || this.bytes, first)
    if (typeof second === 'string') {
      if (pageSize) this.report(pageSize, pageSize, second)
      return typeof first === 'string' ? undefined : first
    }
    if (typeof first === 'string') return second
    const [older, newer] = first.txnid < second.txnid ? [first, second] : [second, first]
    // Each commit writes the meta page of its transaction's parity: the two are one transaction apart.
    if (newer.txnid - older.txnid !== 1n && newer.txnid !== 0n) {
      this.report(
        0,
        2 * pageSize,
        `meta pages 0 and 1 record transactions ${first.txnid} and ${second.txnid}, which are not consecutive: one of them is damaged`,
      )
      return older
    }
    return newer
  }

  private readMeta(page: number, pageSize: number): Meta | string {
    const at = page * pageSize
    const bytes = this.readAt(at, PAGE_HEADER + TXNID + 8)
    if (bytes.length < PAGE_HEADER + TXNID + 8) return `the file ends within meta page ${page} (${this.bytes} bytes)`
    const meta = PAGE_HEADER
    if (bytes.readUInt32LE(meta) !== MAGIC) return `meta page ${page} (byte ${at}) does not hold LMDB's magic number`
    const format = bytes.readUInt32LE(meta + 4)
    if (format !== DATA_FORMAT) return `meta page ${page} is of LMDB data format ${format}, not ${DATA_FORMAT}`
    if (!(bytes.readUInt16LE(18) & P_META) || bytes.readBigUInt64LE(0) !== BigInt(page)) return `meta page ${page} has a damaged page header`
    const size = bytes.readUInt32LE(meta + FREE_DB)
    if (size < 512 || size > 65536 || (size & (size - 1)) !== 0) return `meta page ${page} records a page size of ${size} bytes, which LMDB never writes`
    if (page === 1 && size !== pageSize) return `meta page 1 records a page size of ${size} bytes, meta page 0 one of ${pageSize}`
    const tree = (at: number): Tree => ({ entries: bytes.readBigUInt64LE(meta + at + 32), root: bytes.readBigUInt64LE(meta + at + 40) })
    const lastPage = bytes.readBigUInt64LE(meta + LAST_PAGE)
    if (lastPage > BigInt(Number.MAX_SAFE_INTEGER) / BigInt(size)) return `meta page ${page} records a last page of ${lastPage}, past any file`
    return { page, txnid: bytes.readBigUInt64LE(meta + TXNID), pageSize: size, lastPage: Number(lastPage), free: tree(FREE_DB), main: tree(MAIN_DB) }
  }

  /** Reads a tree and checks its entry count against the one its parent records (at `recordedAt`), when the tree is otherwise intact. */
  private walkTree(name: string, tree: Tree, kind: TreeKind, recordedAt: number): void {
    const damage = this.damage.length
    const counted = { entries: 0 }
    this.walk(tree.root, 0, kind, counted)
    if (this.damage.length === damage && BigInt(counted.entries) !== tree.entries) {
      this.report(recordedAt, 48, `${name} holds ${counted.entries} entries, but ${tree.entries} are recorded for it`)
    }
  }

  /** Reads the tree under `root` in key order, counting its leaf entries into `count`. */
  private walk(root: bigint, depth: number, kind: TreeKind, counted: { entries: number }, parent?: number): void {
    if (root === NO_PAGE) return
    const pgno = Number(root)
    const where = parent === undefined ? 'the root page' : `page ${pgno} (a child of page ${parent})`
    if (root > BigInt(this.lastPage)) {
      this.report(parent === undefined ? 0 : parent * this.pageSize, this.pageSize, `${where} is past the last page, ${this.lastPage}, the meta page records`)
      return
    }
    // Past the end of a cut file: reported once, as the cut.
    if ((pgno + 1) * this.pageSize > this.bytes) return
    if (this.visited.has(pgno) || depth > MAX_DEPTH) {
      this.report(pgno * this.pageSize, this.pageSize, `${where} is reached twice: the tree's links are damaged`)
      return
    }
    this.visited.add(pgno)
    const at = pgno * this.pageSize
    const page = this.readAt(at, this.pageSize)
    const header = this.pageHeaderDamage(page, pgno)
    if (header) {
      this.report(at, this.pageSize, `${where}: ${header}`)
      return
    }
    const flags = page.readUInt16LE(18)
    const count = page.readUInt16LE(20) >> 1
    for (let n = 0; n < count; n++) {
      const nodeAt = page.readUInt16LE(PAGE_HEADER + 2 * n) + PAGE_HEADER
      const keyAt = nodeAt + NODE_HEADER
      const keySize = nodeAt + NODE_HEADER <= page.length ? page.readUInt16LE(nodeAt + 6) : 0
      if (nodeAt < PAGE_HEADER + 2 * count || keyAt + keySize > page.length) {
        this.report(at, this.pageSize, `node ${n} of page ${pgno} lies outside the page: the page is damaged`)
        return
      }
      const low = page.readUInt16LE(nodeAt) + page.readUInt16LE(nodeAt + 2) * 0x10000
      const nodeFlags = page.readUInt16LE(nodeAt + 4)
      if (flags & P_BRANCH) {
        this.walk(BigInt(low + nodeFlags * 0x100000000), depth + 1, kind, counted, pgno)
        continue
      }
      const key = page.subarray(keyAt, keyAt + keySize)
      counted.entries++
      if (kind === 'main' && nodeFlags & F_SUBDATA && keyAt + keySize + 48 <= page.length) {
        // A named database, its MDB_db in the node: the storage's own, or a caller's (checked like LMDB's own records).
        const db = keyAt + keySize
        const tree = { entries: page.readBigUInt64LE(db + 32), root: page.readBigUInt64LE(db + 40) }
        const name = key.toString('utf8').replace(/\0$/, '')
        this.walkTree(`the database ${JSON.stringify(name)}`, tree, name === DATA_DATABASE ? 'entries' : 'other', at + db)
        continue
      }
      const value = this.readValue(page, pgno, keyAt + keySize, low, nodeFlags)
      if (typeof value === 'string') {
        this.report(at + nodeAt, keyAt + keySize - nodeAt, `${value} (key ${describeKey(key)})`)
        continue
      }
      if (kind !== 'entries') continue
      if (this.previousKey && Buffer.compare(key, this.previousKey) <= 0) {
        this.report(
          at + nodeAt,
          keyAt + keySize - nodeAt,
          `key ${describeKey(key)} on page ${pgno} is out of order (after ${describeKey(this.previousKey)}): its bytes are damaged`,
        )
        continue
      }
      const damage = valueDamage(value.bytes)
      if (damage) {
        this.report(value.at, value.bytes.length, `${damage} (key ${describeKey(key)})`)
        continue
      }
      this.previousKey = Buffer.from(key)
      this.entries++
      this.read?.(String(bufferToKeyValue(key)), value.bytes.subarray(CHECKSUM_BYTES))
    }
  }

  /** What is wrong with the header of a branch or leaf page, if anything. */
  private pageHeaderDamage(page: Buffer, pgno: number): string | undefined {
    const recorded = page.readBigUInt64LE(0)
    if (recorded !== BigInt(pgno)) return `it holds the header of page ${recorded}`
    const flags = page.readUInt16LE(18)
    if (flags !== P_BRANCH && flags !== P_LEAF) return `it is not a branch or leaf page (flags 0x${flags.toString(16)})`
    const lower = page.readUInt16LE(20)
    const upper = page.readUInt16LE(22)
    if (lower > upper || PAGE_HEADER + upper > this.pageSize) return `its free-space bounds (${lower}, ${upper}) do not fit its ${this.pageSize} bytes`
    return undefined
  }

  /** A leaf node's value, from the page or its overflow pages; a string says what is wrong. */
  private readValue(page: Buffer, pgno: number, dataAt: number, size: number, flags: number): { at: number; bytes: Buffer } | string {
    if (!(flags & F_BIGDATA)) {
      if (dataAt + size > page.length) return `a value of ${size} bytes runs past the end of page ${pgno}`
      return { at: pgno * this.pageSize + dataAt, bytes: page.subarray(dataAt, dataAt + size) }
    }
    if (dataAt + 8 > page.length) return `the overflow page number runs past the end of page ${pgno}`
    const first = page.readBigUInt64LE(dataAt)
    const at = Number(first) * this.pageSize
    if (first > BigInt(this.lastPage)) return `its overflow page ${first} is past the last page, ${this.lastPage}`
    const bytes = this.readAt(at, PAGE_HEADER + size)
    if (bytes.length < PAGE_HEADER + size) return `its overflow pages from ${first} run past the end of the file`
    if (bytes.readBigUInt64LE(0) !== first || !(bytes.readUInt16LE(18) & P_OVERFLOW)) return `its overflow page ${first} has a damaged header`
    if (bytes.readUInt32LE(20) * this.pageSize < PAGE_HEADER + size) return `its overflow pages from ${first} are fewer than its ${size} bytes need`
    return { at: at + PAGE_HEADER, bytes: bytes.subarray(PAGE_HEADER) }
  }

  private readAt(position: number, length: number): Buffer {
    const bytes = Buffer.alloc(Math.max(0, Math.min(length, this.bytes - position)))
    for (let done = 0; done < bytes.length; ) {
      const read = readSync(this.fd, bytes, done, bytes.length - done, position + done)
      if (read === 0) return bytes.subarray(0, done)
      done += read
    }
    return bytes
  }

  private report(offset: number, length: number, reason: string): void {
    this.damage.push({ offset, length, reason })
  }
}

/** A key for a message: its text when it reads as text, else its bytes in hex. */
function describeKey(key: Buffer): string {
  const text = key.toString('utf8')
  return /^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : `0x${key.toString('hex')}`
}
