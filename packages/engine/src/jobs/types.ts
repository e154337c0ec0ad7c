export const jobStatuses = ['pending', 'running', 'retrying', 'completed', 'failed', 'cancelled'] as const
export type JobStatus = (typeof jobStatuses)[number]

export const finalJobStatuses: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled'])

export interface RetryPolicy {
  /** Total runs allowed, the first included (3 = one run and two retries). */
  attempts: number
  /** Wait before the first retry. */
  backoffMs?: number
  /** Multiplies the wait after each retry. */
  factor?: number
  /** Upper bound of the wait. */
  maxBackoffMs?: number
}

export interface JobSubmission {
  provider: string
  action: string
  input?: unknown
  /** Fails the run (and aborts its signal) after this long. */
  timeoutMs?: number
  retry?: RetryPolicy
  /** Jobs with the same key run one at a time (or as many as `concurrencyKeys[key]` allows). */
  concurrencyKey?: string
  labels?: Record<string, string>
  /** Runs the action's `undo(ctx, input, result)` with this result instead of `run` (rollback). */
  undo?: { result: unknown }
}

export interface JobError {
  message: string
  /** `timeout`, `interrupted`, `cancelled`, or the error's own `code`. */
  code?: string
  name?: string
  /** What the error carried in its `details` property (e.g. ansible's per-host recap of a failed run). */
  details?: unknown
}

/** Why a pending job is not running yet. */
export interface JobWait {
  reason: 'concurrency' | 'concurrencyKey' | 'backoff'
  /** The concurrency key it waits on, for `concurrencyKey`. */
  key?: string
  /** When a backing-off job runs again (ISO time). */
  until?: string
}

export interface JobRecord {
  id: string
  provider: string
  action: string
  input: unknown
  status: JobStatus
  /** `undo` for a job that reverses an earlier run. */
  mode: 'run' | 'undo'
  /** For an `undo` job: the result of the run it reverses. */
  undoOf?: { result: unknown }
  labels: Record<string, string>
  concurrencyKey?: string
  timeoutMs?: number
  retry?: RetryPolicy
  /** Runs started so far. */
  attempt: number
  createdAt: string
  startedAt?: string
  finishedAt?: string
  durationMs?: number
  result?: unknown
  error?: JobError
  progress?: { percent: number; step?: string }
  /** Lines of output stored so far. */
  outputLines: number
  /** Present while the job waits. */
  waiting?: JobWait
}

export interface JobListQuery {
  status?: JobStatus | JobStatus[]
  provider?: string
  /** `key=value`, or several as an object; every one must match. */
  label?: string | Record<string, string>
  limit?: number
  offset?: number
  /** By creation time; newest first unless `asc`. */
  order?: 'asc' | 'desc'
}

export interface Page<T> {
  items: T[]
  total: number
  limit: number
  offset: number
}

export interface OutputLine {
  /** Line number, from 0. */
  seq: number
  line: string
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
