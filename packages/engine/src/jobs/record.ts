import type { StoredJob } from './store'
import type { JobRecord } from './types'

type Fields = Pick<JobRecord, 'id' | 'provider' | 'action' | 'input' | 'status' | 'mode' | 'labels' | 'attempt' | 'createdAt' | 'outputLines'> &
  Partial<JobRecord>

/**
 * A record with every field in place, always in this order (absent fields
 * are `undefined`, which JSON leaves out): every record has the same shape as
 * its job runs (why that matters: docs/benchmarks.md).
 */
export function jobRecord(fields: Fields): JobRecord {
  return {
    id: fields.id,
    provider: fields.provider,
    action: fields.action,
    input: fields.input,
    status: fields.status,
    mode: fields.mode,
    undoOf: fields.undoOf,
    labels: fields.labels,
    concurrencyKey: fields.concurrencyKey,
    timeoutMs: fields.timeoutMs,
    retry: fields.retry,
    attempt: fields.attempt,
    createdAt: fields.createdAt,
    startedAt: fields.startedAt,
    finishedAt: fields.finishedAt,
    durationMs: fields.durationMs,
    result: fields.result,
    error: fields.error,
    progress: fields.progress,
    outputLines: fields.outputLines,
    waiting: fields.waiting,
  }
}

/** What is stored under the job's key: the record, without what only a live job has (`waiting`), plus its machine's state. */
export function storedJob(record: JobRecord, outputLines: number, machine: StoredJob['machine']): StoredJob {
  const stored = jobRecord(record) as StoredJob
  stored.outputLines = outputLines
  stored.waiting = undefined
  stored.machine = machine
  return stored
}
