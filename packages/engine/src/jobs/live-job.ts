import type { Deferred } from '../_internal/deferred'
import type { JobSnapshot } from '../machines/job'
import type { RegisteredProvider } from '../providers/registry'
import type { ActionDefinition } from '../providers/types'
import type { OutputLog } from './output'
import { jobRecord } from './record'
import type { StoredJob } from './store'
import type { JobRecord, JobStatus, JobWait } from './types'

export type MachineState = NonNullable<StoredJob['machine']>

/** A job a worker holds in memory, from the moment it is queued (or restored) until it ends or the worker lets it go. */
export interface LiveJob {
  /** The public record, kept current; what is stored adds `machine`. */
  record: JobRecord
  machine: MachineState
  /** Why it waits, while it is queued; not stored (it changes as other jobs finish). */
  waiting?: JobWait
  startedAtMs?: number
  /**
   * The machine's snapshot, resolved from `machine` when the job takes its
   * first event: a queued job is fully described by its stored `pending` state.
   */
  snapshot?: JobSnapshot
  /** While the machine takes an event. */
  stepping: boolean
  /** The timer of the machine's delayed event (the end of a retry backoff). */
  delayedTimer?: NodeJS.Timeout
  input: unknown
  action: ActionDefinition
  registered: RegisteredProvider
  /** Created with the first line (or the first reader): most quick jobs print nothing. */
  output?: OutputLog
  /** The status its index entry has, i.e. the last one written. */
  indexedStatus: JobStatus
  /** Changed since its last write. */
  dirty: boolean
  /** Queued for a write or being written. */
  writing: boolean
  /** Being written (its write loop runs). */
  persisting: boolean
  /** Called once the job has no write pending; created only for those who wait. */
  written?: (() => void)[]
  clearTimeout?: () => void
  /** Aborts the signal of the attempt that is running. */
  abortRun?: (reason: unknown) => void
  /** Frees the run slot for the next job; unset once called. */
  freeSlot?: () => void
  /** Frees the slot of a run told to stop that has not returned yet. */
  slotGraceTimer?: NodeJS.Timeout
  /** Set once another worker owns the job: nothing of it is written from here any more. */
  letGo?: boolean
  /** Created for the first caller who waits for the job's end. */
  final?: Deferred<JobRecord>
}

/** What the queue hands a worker: a job just stored, with what it needs to run. */
export type QueuedJob = Pick<LiveJob, 'record' | 'machine' | 'input' | 'action' | 'registered'>

export function liveJob({ record, machine, input, action, registered }: QueuedJob, indexedStatus: JobStatus): LiveJob {
  return {
    record,
    machine,
    waiting: undefined,
    startedAtMs: undefined,
    snapshot: undefined,
    stepping: false,
    delayedTimer: undefined,
    input,
    action,
    registered,
    output: undefined,
    indexedStatus,
    dirty: false,
    writing: false,
    persisting: false,
    written: undefined,
    clearTimeout: undefined,
    abortRun: undefined,
    freeSlot: undefined,
    slotGraceTimer: undefined,
    letGo: false,
    final: undefined,
  }
}

/** A copy of the job's public record, with what only the live job knows (output count, why it waits). */
export function publicRecord(job: LiveJob): JobRecord {
  const record = jobRecord(job.record)
  record.outputLines = job.output?.total ?? job.record.outputLines
  record.waiting = job.waiting
  return record
}
