import type { Storage } from 'unstorage'
import type { EventEmitter } from 'node:events'
import type { EngineEventMap } from './events'
import type { JobListQuery, JobRecord, JobSubmission, OutputLine, Page } from './jobs/types'
import type { Plugin, PluginRoute } from './plugins/types'
import type { Provider } from './providers/types'
import type { WorkflowServiceOptions } from './workflows/api'

export interface EngineOptions {
  /** Any unstorage `Storage`; memory when omitted. Use `fsStorage({ base })` for a durable, log-structured data directory. */
  storage?: Storage
  providers?: Provider<any>[]
  plugins?: Plugin[]
  /** Jobs running at once across all keys. Default 8. */
  concurrency?: number
  /** Running jobs allowed per concurrency key; 1 for a key not listed. */
  concurrencyKeys?: Record<string, number>
  /**
   * How long a worker's claim on a job lasts unless renewed (it is renewed every third of
   * it while the job runs). When a worker dies, another engine on the same storage takes
   * its jobs over once their leases lapse. Default 30 000 ms.
   */
  leaseMs?: number
  /** How long `stop()` lets running jobs finish before cancelling them. Default 10 000 ms. */
  stopGraceMs?: number
  /** Workflow settings, e.g. `undoRetry`: the retry policy of each undo job during rollback. */
  workflows?: WorkflowServiceOptions
  /**
   * Providers known but not available here, each with what to do about it (`{ vultr: 'set
   * VULTR_API_KEY' }`): work submitted to them is refused with that text instead of "unknown provider".
   */
  unavailableProviders?: Record<string, string>
}

export interface OutputOptions {
  /** First line to read, counted from 0. */
  from?: number
  /** Keep yielding new lines until the job reaches a final state. */
  follow?: boolean
}

export interface JobsApi {
  /** Validates and stores a job, then queues it. Rejects with `ValidationError` (nothing stored) on bad input. */
  submit: (submission: JobSubmission) => Promise<JobRecord>
  /** Checks a submission as `submit` would, without storing anything. */
  validate: (submission: JobSubmission) => void
  get: (id: string) => Promise<JobRecord | undefined>
  list: (query?: JobListQuery) => Promise<Page<JobRecord>>
  /** Resolves with the final record once the job is completed, failed or cancelled. */
  wait: (id: string) => Promise<JobRecord>
  /** Cancels a pending or running job; resolves with its record (unchanged if already final). */
  cancel: (id: string) => Promise<JobRecord>
  output: (id: string, options?: OutputOptions) => AsyncIterable<OutputLine>
}

export interface JobHookContext {
  job: JobRecord
}

export interface EngineHooks {
  /** Runs before each attempt's action; throwing fails the attempt. */
  beforeJob: (ctx: JobHookContext) => void | Promise<void>
  /** Runs once the job reached a final state. */
  afterJob: (ctx: JobHookContext) => void | Promise<void>
}

/** Node's own typed `EventEmitter`: `on`, `once`, `off` and `emit` know each event's payload. */
export type EngineEmitter = EventEmitter<EngineEventMap>
