import type { Storage } from 'unstorage'
import { lastSegment } from '../storage/keys'
import type { OutputLine } from './types'

/** Lines per stored chunk; a chunk is also written when lines stop arriving for `FLUSH_DELAY_MS`. */
const CHUNK_LINES = 1000
const FLUSH_DELAY_MS = 100
const SEQ_DIGITS = 12

const chunkPrefix = (jobId: string) => `output:${jobId}`
const chunkKey = (jobId: string, start: number) => `${chunkPrefix(jobId)}:${String(start).padStart(SEQ_DIGITS, '0')}`

/**
 * The output of one running job. Lines are kept in memory only until their
 * chunk is written; each chunk is written once, under a key named by its first
 * line number, so the writes grow linearly with the output and any offset can
 * be found from the key names alone.
 */
export class OutputLog {
  /** Lines received so far. */
  total = 0
  /** Lines stored so far; lines from here to `total` are in `pending`. */
  stored = 0
  private pending: string[] = []
  private timer: NodeJS.Timeout | undefined
  private writing: Promise<void> = Promise.resolve()
  private waiters: Array<() => void> = []
  closed = false

  constructor(
    private readonly storage: Storage,
    private readonly jobId: string,
    startAt = 0,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.total = startAt
    this.stored = startAt
  }

  append(line: string): number {
    const seq = this.total++
    this.pending.push(line)
    if (this.total - this.stored - this.inFlight >= CHUNK_LINES) this.flush()
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), FLUSH_DELAY_MS)
    this.wake()
    return seq
  }

  private inFlight = 0

  /** Writes what is pending as one chunk; resolves once every chunk so far is stored. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    const start = this.stored + this.inFlight
    const count = this.total - start
    if (count > 0) {
      const lines = this.pending.slice(this.pending.length - count)
      this.inFlight += count
      this.writing = this.writing
        .then(() => this.storage.setItem(chunkKey(this.jobId, start), lines))
        .then(
          () => this.commit(count),
          (error) => {
            this.commit(count)
            this.onError(error)
          },
        )
    }
    return this.writing
  }

  private commit(count: number) {
    this.inFlight -= count
    this.stored += count
    this.pending.splice(0, count)
  }

  /** Lines still in memory, from line `from` on. */
  unstoredFrom(from: number): OutputLine[] {
    const firstPending = this.total - this.pending.length
    const out: OutputLine[] = []
    for (let seq = Math.max(from, firstPending); seq < this.total; seq++) out.push({ seq, line: this.pending[seq - firstPending] })
    return out
  }

  /** Resolves at the next line or when the log closes. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  async close(): Promise<void> {
    await this.flush()
    this.closed = true
    this.wake()
  }

  private wake() {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }
}

/** Reads stored lines `[from, until)` of a job, chunk by chunk. */
export async function* readStoredOutput(storage: Storage, jobId: string, from: number, until = Number.POSITIVE_INFINITY): AsyncGenerator<OutputLine> {
  const starts = (await storage.getKeys(chunkPrefix(jobId)))
    .map((key) => Number(lastSegment(key)))
    .filter(Number.isFinite)
    .sort((a, b) => a - b)
  for (let index = 0; index < starts.length; index++) {
    const start = starts[index]
    const next = starts[index + 1] ?? Number.POSITIVE_INFINITY
    if (next <= from) continue
    if (start >= until) return
    const lines = (await storage.getItem<string[]>(chunkKey(jobId, start))) ?? []
    for (let offset = Math.max(0, from - start); offset < lines.length; offset++) {
      const seq = start + offset
      if (seq >= until) return
      yield { seq, line: lines[offset] }
    }
  }
}

export async function removeOutput(storage: Storage, jobId: string): Promise<void> {
  const keys = await storage.getKeys(chunkPrefix(jobId))
  await Promise.all(keys.map((key) => storage.removeItem(key)))
}
