import { setTimeout as sleep } from 'node:timers/promises'
import type { Storage } from 'unstorage'
import type { EngineEmitter } from '../../events'
import { readStoredOutput } from '../output'
import type { JobStore } from '../store'
import { finalJobStatuses, type OutputLine } from '../types'

/** How long a follower waits before reading storage again for lines it saw published but not in order yet. */
const GAP_RETRY_MS = 50
/** A follower checks the stored record at least this often (a lost message must not leave it waiting forever). */
const CHECK_MS = 1000
/** Reads of an ended job's output that may find nothing new before the missing lines count as lost (a failed chunk write). */
const END_READS = 40

/**
 * Follows the output of a job that another node runs: what is stored first,
 * then the `job:output` events the cluster relays, in order and without
 * duplicates. A line published before this follower subscribed is in storage
 * within the output's flush delay, so a gap is filled by reading storage
 * again. Ends once the stored record is final and its lines are all read.
 */
export async function* followOutputElsewhere(
  deps: { events: EngineEmitter; storage: Storage; store: JobStore },
  id: string,
  from: number,
): AsyncGenerator<OutputLine> {
  const { events, storage, store } = deps
  let cursor = from
  const live = new Map<number, string>()
  let wake: (() => void) | undefined
  const onLine = (event: { id: string; seq: number; line: string }) => {
    if (event.id !== id || event.seq < cursor) return
    live.set(event.seq, event.line)
    wake?.()
  }
  const onStatus = (event: { id: string; status: string }) => {
    if (event.id === id && finalJobStatuses.has(event.status as never)) wake?.()
  }
  events.on('job:output', onLine)
  events.on('job:status', onStatus)
  try {
    let readStored = true
    let endReads = 0
    for (;;) {
      if (readStored) {
        for await (const line of readStoredOutput(storage, id, cursor)) {
          yield line
          cursor = line.seq + 1
        }
        readStored = false
      }
      for (let line = live.get(cursor); line !== undefined; line = live.get(cursor)) {
        live.delete(cursor)
        yield { seq: cursor, line }
        cursor++
      }
      for (const seq of live.keys()) if (seq < cursor) live.delete(seq)
      const stored = await store.get(id)
      if (!stored) return
      if (finalJobStatuses.has(stored.status)) {
        // The end is stored with the count of lines; the last chunk may land just after it.
        if (cursor >= stored.outputLines || endReads++ >= END_READS) return
        await sleep(GAP_RETRY_MS)
        readStored = true
        continue
      }
      if (live.size) {
        await sleep(GAP_RETRY_MS)
        readStored = true
        continue
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CHECK_MS)
        wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      wake = undefined
    }
  } finally {
    events.off('job:output', onLine)
    events.off('job:status', onStatus)
  }
}
