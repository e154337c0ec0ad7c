import type { Storage } from 'unstorage'
import { keySegment, lastSegment } from '../storage/keys'
import { jobStatuses, type JobListQuery, type JobRecord, type JobStatus, type Page } from './types'

/**
 * What is stored under `jobs:records:<id>`: the record and its machine's
 * state. The state is the job actor's snapshot reduced to what defines it
 * (state value and context), which `jobMachine.resolveState` turns back into a
 * full snapshot; storing xstate's whole persisted snapshot cost more than the job.
 */
export interface StoredJob extends JobRecord {
  machine?: { version: number; value: string; context: unknown }
}

const recordKey = (id: string) => `jobs:records:${id}`
const inputKey = (id: string) => `jobs:inputs:${id}`
const statusIndex = (status: JobStatus) => `jobs:index:status:${status}`
/** A job's status entry also names its provider: one key serves both filters, and a job costs one write less. */
const statusEntry = (status: JobStatus, provider: string, id: string) => `${statusIndex(status)}:${keySegment(provider)}:${id}`
/**
 * The segment is `keySegment("<key>=<value>")`, built from the two halves (`=` encodes as
 * `%3D`, and the encoding works character by character): the halves are usually plain
 * (`workflow`, an id) and need no encoding, where the joined string always would.
 */
const labelIndex = (key: string, value: string) => `jobs:index:label:${keySegment(key)}%3D${keySegment(value)}`
/** Where the provider index lived before status entries named the provider (read once, to migrate). */
const legacyProviderIndex = 'jobs:index:provider'

export const DEFAULT_PAGE_LIMIT = 50
export const MAX_PAGE_LIMIT = 1000

/**
 * Job records and their indexes. An index entry is an empty key whose last
 * segment is the job id; ids are time-ordered, so a filtered, ordered page is
 * found from key names alone and only the page's records are read. The status
 * entry is `jobs:index:status:<status>:<provider>:<id>`, so the status filter,
 * the provider filter and both together are prefix reads.
 *
 * Write order keeps the indexes repairable after a crash: a new job's index
 * entries are written before its record (a dangling entry is skipped and
 * removed), and on a status change the record is written first, then the new
 * status entry, then the old one removed, all issued in one turn (one
 * transaction on the fs store; in that order elsewhere), so that a stale entry
 * left by a crash is fixed by `repair` when the job is taken over.
 */
export class JobStore {
  constructor(private readonly storage: Storage) {}

  /** Issued in one turn, index entries first: one transaction on the fs store, in that order elsewhere. */
  create(job: StoredJob, fullInput?: unknown): Promise<unknown> {
    const writes = [this.storage.setItem(statusEntry(job.status, job.provider, job.id), '')]
    for (const key in job.labels) writes.push(this.storage.setItem(`${labelIndex(key, job.labels[key])}:${job.id}`, ''))
    if (fullInput !== undefined) writes.push(this.storage.setItem(inputKey(job.id), fullInput as never))
    writes.push(this.storage.setItem(recordKey(job.id), job as never))
    return Promise.all(writes)
  }

  save(job: StoredJob, previousStatus: JobStatus | undefined): Promise<unknown> {
    if (previousStatus === undefined || previousStatus === job.status) return this.storage.setItem(recordKey(job.id), job as never)
    return Promise.all([
      this.storage.setItem(recordKey(job.id), job as never),
      this.storage.setItem(statusEntry(job.status, job.provider, job.id), ''),
      this.storage.removeItem(statusEntry(previousStatus, job.provider, job.id)),
    ])
  }

  get(id: string): Promise<StoredJob | null> {
    return this.storage.getItem<StoredJob>(recordKey(id))
  }

  /** Whether the job is indexed as queued: cheaper than reading its record, and true until its worker changes its status. */
  isQueued(job: Pick<StoredJob, 'id' | 'provider'>): Promise<boolean> {
    return this.storage.hasItem(statusEntry('pending', job.provider, job.id))
  }

  /** The unredacted input of a job whose action redacts its stored input; kept only until the job ends. */
  getFullInput(id: string): Promise<unknown> {
    return this.storage.getItem(inputKey(id))
  }

  removeFullInput(id: string): Promise<void> {
    return this.storage.removeItem(inputKey(id))
  }

  async idsWithStatus(status: JobStatus): Promise<string[]> {
    return (await this.storage.getKeys(statusIndex(status))).map(lastSegment)
  }

  /** Drops a stale status entry left by a crash between the record write and the index update. */
  async repair(job: StoredJob, indexedStatus: JobStatus): Promise<void> {
    if (indexedStatus === job.status) return
    await this.storage.setItem(statusEntry(job.status, job.provider, job.id), '')
    await this.storage.removeItem(statusEntry(indexedStatus, job.provider, job.id))
  }

  /**
   * Rewrites indexes stored before status entries named the provider
   * (`jobs:index:status:<status>:<id>` plus `jobs:index:provider:<provider>:<id>`):
   * an engine started on older data lists every job as before.
   */
  async migrateIndexes(): Promise<void> {
    const legacy = await this.storage.getKeys(legacyProviderIndex)
    if (!legacy.length) return
    for (const status of jobStatuses) {
      for (const key of await this.storage.getKeys(statusIndex(status))) {
        if (key.split(':').length !== 5) continue
        const job = await this.get(lastSegment(key))
        if (job) await this.storage.setItem(statusEntry(status, job.provider, job.id), '')
        await this.storage.removeItem(key)
      }
    }
    await Promise.all(legacy.map((key) => this.storage.removeItem(key)))
  }

  async list(query: JobListQuery = {}): Promise<Page<StoredJob> & { ids: string[] }> {
    const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_PAGE_LIMIT), MAX_PAGE_LIMIT)
    const offset = Math.max(0, query.offset ?? 0)
    const sets: string[][] = []
    const statuses = query.status === undefined ? [] : Array.isArray(query.status) ? query.status : [query.status]
    if (statuses.length || query.provider !== undefined) {
      const provider = query.provider === undefined ? '' : `:${keySegment(query.provider)}`
      const scanned = statuses.length ? statuses : jobStatuses
      sets.push((await Promise.all(scanned.map((status) => this.ids(`${statusIndex(status)}${provider}`)))).flat())
    }
    for (const [key, value] of Object.entries(parseLabels(query.label))) sets.push(await this.ids(labelIndex(key, value)))

    const ids = sets.length ? intersect(sets) : await this.ids('jobs:records')
    ids.sort()
    if (query.order !== 'asc') ids.reverse()
    const pageIds = ids.slice(offset, offset + limit)
    const records = await Promise.all(pageIds.map((id) => this.get(id)))
    const items = records.filter((job): job is StoredJob => job !== null && (!statuses.length || statuses.includes(job.status)))
    return { items, total: ids.length, limit, offset, ids: pageIds }
  }

  private async ids(prefix: string): Promise<string[]> {
    return (await this.storage.getKeys(prefix)).map(lastSegment)
  }
}

export function parseLabels(label: JobListQuery['label']): Record<string, string> {
  if (label === undefined) return {}
  if (typeof label !== 'string') return label
  const out: Record<string, string> = {}
  for (const pair of label.split(',')) {
    const index = pair.indexOf('=')
    if (index > 0) out[pair.slice(0, index).trim()] = pair.slice(index + 1).trim()
  }
  return out
}

function intersect(sets: string[][]): string[] {
  const [smallest, ...rest] = [...sets].sort((a, b) => a.length - b.length)
  const others = rest.map((set) => new Set(set))
  return smallest.filter((id) => others.every((set) => set.has(id)))
}
