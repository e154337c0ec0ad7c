import type { Storage } from 'unstorage'
import { createId } from '../_internal/id'
import { isoTime } from '../_internal/time'
import type { EngineEmitter } from '../events'
import { EngineStateError, NotFoundError, ValidationError } from '../errors'
import { initialJobContext, JOB_MACHINE_VERSION } from '../machines/job'
import { findAction, type RegisteredProvider } from '../providers/registry'
import { followOutputElsewhere } from './dispatch/remote-output'
import { followStored } from './follow'
import type { MachineState } from './live-job'
import { readStoredOutput } from './output'
import { jobRecord, storedJob } from './record'
import type { JobStore } from './store'
import { jobSubmissionSchema } from './submission'
import { finalJobStatuses, type JobListQuery, type JobRecord, type JobsApi, type JobSubmission, type OutputLine, type OutputOptions, type Page } from './types'
import type { JobWorker } from './worker'

export interface JobQueueOptions {
  storage: Storage
  store: JobStore
  worker: JobWorker
  providers: ReadonlyMap<string, RegisteredProvider>
  events: EngineEmitter
  /** Known providers that are not available, with what to do about it. */
  unavailableProviders?: Readonly<Record<string, string>>
  /** Jobs may run on other nodes (a dispatcher spreads them): their output is followed through relayed events. */
  spansNodes?: boolean
}

/** The stored state of every new job without retries or a timeout: one object for all of them. */
const initialMachine: MachineState = { version: JOB_MACHINE_VERSION, value: 'pending', context: initialJobContext() }

/**
 * The `jobs` API of an engine, as BullMQ's `Queue`: it validates and stores
 * jobs, hands them to the worker, and answers from storage (or from the
 * worker, for the jobs it holds, whose latest state may not be written yet).
 */
export class JobQueue implements JobsApi {
  private accepting = false

  constructor(private readonly options: JobQueueOptions) {}

  open(): void {
    this.accepting = true
  }

  close(): void {
    this.accepting = false
  }

  validate = (submission: JobSubmission): void => {
    this.prepare(submission)
  }

  submit = (submission: JobSubmission): Promise<JobRecord> => this.submitJob(submission, true)

  get = async (id: string): Promise<JobRecord | undefined> => {
    const live = this.options.worker.record(id)
    if (live) return live
    const stored = await this.options.store.get(id)
    return stored ? jobRecord(stored) : undefined
  }

  list = async (query: JobListQuery = {}): Promise<Page<JobRecord>> => {
    const page = await this.options.store.list(query)
    return {
      total: page.total,
      limit: page.limit,
      offset: page.offset,
      items: page.items.map((stored) => this.options.worker.record(stored.id) ?? jobRecord(stored)),
    }
  }

  wait = (id: string): Promise<JobRecord> => this.options.worker.final(id) ?? followStored(this.options.store, id, (held) => this.options.worker.final(held))

  cancel = async (id: string, reason?: string): Promise<JobRecord> => {
    const cancelled = this.options.worker.cancel(id, reason)
    if (cancelled) return cancelled
    const stored = await this.options.store.get(id)
    if (!stored) throw new NotFoundError(`[provisio] [engine] no job "${id}"`)
    return jobRecord(stored)
  }

  output = (id: string, options: OutputOptions = {}): AsyncIterable<OutputLine> => this.readOutput(id, options)

  /**
   * The jobs API for the engine's own callers (a workflow's runs, rollback's
   * undo jobs). They build each submission from specs validated when the
   * workflow was submitted, so its options are not parsed again; its input
   * still is, by the action's schema.
   */
  readonly forEngine: JobsApi = {
    submit: (submission) => this.submitJob(submission, false),
    validate: this.validate,
    get: this.get,
    list: this.list,
    wait: this.wait,
    cancel: this.cancel,
    output: this.output,
  }

  private async submitJob(submission: JobSubmission, checkOptions: boolean): Promise<JobRecord> {
    if (!this.accepting) throw new EngineStateError('[provisio] [engine] not accepting jobs: call engine.start() first (or the engine is stopping)')
    const { options, action, registered, input } = this.prepare(submission, checkOptions)
    const id = createId()
    const record = jobRecord({
      id,
      provider: options.provider,
      action: options.action,
      input: action.redact ? action.redact(input as never) : input,
      status: 'pending',
      mode: options.undo ? 'undo' : 'run',
      undoOf: options.undo ? { result: options.undo.result } : undefined,
      labels: options.labels ?? {},
      concurrencyKey: options.concurrencyKey,
      timeoutMs: options.timeoutMs,
      retry: options.retry,
      attempt: 0,
      createdAt: isoTime(),
      outputLines: 0,
    })
    const machine: MachineState =
      options.retry || options.timeoutMs !== undefined
        ? { version: JOB_MACHINE_VERSION, value: 'pending', context: initialJobContext({ retry: options.retry, timeoutMs: options.timeoutMs }) }
        : initialMachine
    await this.options.store.create(storedJob(record, 0, machine), action.redact ? input : undefined)
    const events = this.options.events
    const created = jobRecord(record)
    if (events.listenerCount('job:created')) events.emit('job:created', { id, job: created })
    if (events.listenerCount('job:status')) events.emit('job:status', { id, status: 'pending', previous: null, job: jobRecord(record) })
    const dispatched = this.options.worker.add({ record, machine, input, action, registered })
    if (dispatched) await dispatched
    return created
  }

  /** `checkOptions`: parse the submission's options (everything but the input, which is always parsed by its action's schema). */
  private prepare(submission: JobSubmission, checkOptions = true) {
    let options = submission
    if (checkOptions) {
      const parsed = jobSubmissionSchema.safeParse(submission)
      if (!parsed.success) throw ValidationError.fromZod('[provisio] [engine] invalid job submission', parsed.error)
      options = parsed.data
    }
    const { registered, action } = findAction(this.options.providers, options.provider, options.action, this.options.unavailableProviders)
    if (options.undo && !action.undo) {
      throw new ValidationError(`action "${options.provider}.${options.action}" cannot be undone`, [
        { path: 'undo', message: `action "${options.action}" of provider "${options.provider}" has no undo` },
      ])
    }
    const input = action.input.safeParse(options.input ?? {})
    if (!input.success) throw ValidationError.fromZod(`[provisio] [${options.provider}] invalid input for ${options.action}`, input.error, 'input')
    return { options, registered, action, input: input.data }
  }

  private async *readOutput(id: string, { from = 0, follow = false }: OutputOptions): AsyncGenerator<OutputLine> {
    const { storage, store, worker } = this.options
    let cursor = Math.max(0, from)
    for (;;) {
      const log = worker.output(id)
      if (!log) {
        const stored = await store.get(id)
        if (!stored) throw new NotFoundError(`[provisio] [engine] no job "${id}"`)
        if (follow && this.options.spansNodes && !finalJobStatuses.has(stored.status)) {
          yield* followOutputElsewhere(this.options, id, cursor)
          return
        }
        for await (const line of readStoredOutput(storage, id, cursor)) {
          yield line
          cursor = line.seq + 1
        }
        return
      }
      if (cursor < log.stored) {
        // Up to what is stored now: more may be stored while this reads, and those lines are read next time round.
        const stored = log.stored
        for await (const line of readStoredOutput(storage, id, cursor, stored)) {
          yield line
          cursor = line.seq + 1
        }
        // Lines counted as stored but not found were lost with a crash before their chunk was
        // written: skip them, or this loop would wait for them forever.
        cursor = Math.max(cursor, stored)
        continue
      }
      for (const line of log.unstoredFrom(cursor)) {
        yield line
        cursor = line.seq + 1
      }
      if (cursor < log.total) continue
      if (!follow || log.closed) return
      await log.changed()
    }
  }
}
