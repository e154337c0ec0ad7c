import { setTimeout as sleep } from 'node:timers/promises'
import { NotFoundError } from '../errors'
import { jobRecord } from './record'
import type { JobStore } from './store'
import { finalJobStatuses, type JobRecord } from './types'

/** How often a job run by another worker (or not yet taken by one) is read back while someone waits for its end. */
const FOLLOW_INTERVAL_MS = 100

/**
 * Resolves with a job's final record, read from storage: how an engine waits
 * for a job that another worker runs (BullMQ's `QueueEvents` does it by
 * subscription; here the store is read every `FOLLOW_INTERVAL_MS`).
 * `live` answers first when a worker of this engine holds the job.
 */
export async function followStored(store: JobStore, id: string, live?: (id: string) => Promise<JobRecord> | undefined): Promise<JobRecord> {
  for (let first = true; ; first = false) {
    const held = live?.(id)
    if (held) return held
    const stored = await store.get(id)
    if (!stored) {
      if (first) throw new NotFoundError(`[provisio] [engine] no job "${id}"`)
    } else if (finalJobStatuses.has(stored.status)) return jobRecord(stored)
    await sleep(FOLLOW_INTERVAL_MS)
  }
}
