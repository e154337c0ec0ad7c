import { assign, createActor, setup, type ActorScope, type ExecutableActionObject, type SnapshotFrom } from 'xstate'
import type { JobError, RetryPolicy } from '../jobs/types'

/** Bumped whenever states or context change shape; stored with every snapshot. */
export const JOB_MACHINE_VERSION = 2

export interface JobMachineInput {
  retry?: RetryPolicy
  timeoutMs?: number
  attempt?: number
}

export interface JobMachineContext {
  attempt: number
  maxAttempts: number
  retry?: RetryPolicy
  timeoutMs?: number
  result?: unknown
  error?: JobError
  /** When a backing-off job may run again (epoch ms). */
  retryAt?: number
}

export type JobMachineEvent =
  | { type: 'job.start' }
  /** The run of attempt `attempt` returned; ignored unless that attempt is the one running. */
  | { type: 'job.succeeded'; attempt: number; result: unknown }
  | { type: 'job.failed'; attempt: number; error: unknown }
  | { type: 'job.cancel'; reason?: string }
  | { type: 'job.interrupt' }
  /** Sent by the engine's timer when a run exceeds `timeoutMs`. */
  | { type: 'job.timeout' }

/**
 * The context a job starts with; also what a queued job stores before its
 * machine takes an event. It says nothing of the job's identity, so every job
 * without retries or a timeout starts from the same context (and snapshot).
 */
export function initialJobContext(input: JobMachineInput = {}): JobMachineContext {
  const context: JobMachineContext = { attempt: input.attempt ?? 0, maxAttempts: Math.max(1, input.retry?.attempts ?? 1) }
  if (input.retry) context.retry = input.retry
  if (input.timeoutMs !== undefined) context.timeoutMs = input.timeoutMs
  return context
}

/** Whether `context` is the one a job without retries or a timeout starts from. */
export function isInitialJobContext(context: JobMachineContext): boolean {
  return (
    context.attempt === 0 &&
    context.maxAttempts === 1 &&
    context.retry === undefined &&
    context.timeoutMs === undefined &&
    context.result === undefined &&
    context.error === undefined &&
    context.retryAt === undefined
  )
}

/** Wait before retry number `retryNumber` (1 for the first retry). */
export function backoffDelay(retry: RetryPolicy | undefined, retryNumber: number): number {
  if (!retry) return 0
  const base = retry.backoffMs ?? 1000
  const factor = retry.factor ?? 2
  const delay = base * factor ** Math.max(0, retryNumber - 1)
  return Math.min(delay, retry.maxBackoffMs ?? Number.POSITIVE_INFINITY)
}

/**
 * One job's lifecycle. The machine decides and the engine does: the engine
 * starts the action when the job enters `running` and reports how it ended
 * (`job.succeeded` / `job.failed`, tagged with the attempt, so a late answer
 * from an attempt that was cancelled or timed out changes nothing), and aborts
 * the action's signal whenever the job leaves `running`. A failed or timed-out
 * run with attempts left waits out its backoff in `retrying`, then queues
 * again as `pending`.
 */
export const jobMachine = setup({
  types: {
    context: {} as JobMachineContext,
    input: {} as JobMachineInput,
    events: {} as JobMachineEvent,
  },
  delays: {
    backoff: ({ context }) => Math.max(0, (context.retryAt ?? 0) - Date.now()),
  },
  guards: {
    isCurrentAttempt: ({ context, event }) => 'attempt' in event && event.attempt === context.attempt,
    canRetry: ({ context }) => context.attempt < context.maxAttempts,
  },
  actions: {
    scheduleRetry: assign({
      retryAt: ({ context }) => Date.now() + backoffDelay(context.retry, context.attempt),
    }),
  },
}).createMachine({
  id: 'job',
  initial: 'pending',
  context: ({ input }) => initialJobContext(input),
  states: {
    pending: {
      on: {
        'job.start': 'running',
        'job.cancel': { target: 'cancelled', actions: assign({ error: ({ event }) => cancelledError(event.reason) }) },
        'job.interrupt': { target: 'failed', actions: assign({ error: interruptedError }) },
      },
    },
    running: {
      entry: assign({ attempt: ({ context }) => context.attempt + 1, error: undefined, retryAt: undefined }),
      on: {
        'job.succeeded': { guard: 'isCurrentAttempt', target: 'completed', actions: assign({ result: ({ event }) => event.result }) },
        'job.failed': [
          {
            guard: ({ context, event }) => event.attempt === context.attempt && context.attempt < context.maxAttempts,
            target: 'retrying',
            actions: [assign({ error: ({ event }) => toError(event.error) }), 'scheduleRetry'],
          },
          { guard: 'isCurrentAttempt', target: 'failed', actions: assign({ error: ({ event }) => toError(event.error) }) },
        ],
        // The timer lives in the engine, armed only for jobs that have a timeout.
        'job.timeout': [
          { guard: 'canRetry', target: 'retrying', actions: [assign({ error: ({ context }) => timeoutError(context.timeoutMs) }), 'scheduleRetry'] },
          { target: 'failed', actions: assign({ error: ({ context }) => timeoutError(context.timeoutMs) }) },
        ],
        'job.cancel': { target: 'cancelled', actions: assign({ error: ({ event }) => cancelledError(event.reason) }) },
        'job.interrupt': { target: 'failed', actions: assign({ error: interruptedError }) },
      },
    },
    retrying: {
      after: { backoff: 'pending' },
      on: {
        'job.cancel': { target: 'cancelled', actions: assign({ error: ({ event }) => cancelledError(event.reason) }) },
      },
    },
    completed: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
  },
})

export type JobMachine = typeof jobMachine
export type JobSnapshot = SnapshotFrom<JobMachine>

/** An event the machine raised for later (`after`): the caller owns the timer. */
export interface DelayedJobEvent {
  event: JobMachineEvent
  delay: number
}

/**
 * The job machine's next snapshot for `event`: `jobMachine.transition` called
 * directly, as xstate's pure `transition(machine, snapshot, event)` does, but
 * with one actor scope for every call where `transition()` builds an actor per
 * call. An engine holds thousands of short-lived jobs, and an actor each (its
 * system, mailbox and observers) would cost more than the rest of a job
 * (figures: docs/benchmarks.md). The machine's own actions are `assign`s, applied
 * by the transition; the one effect it leaves to the caller is its delayed
 * event (the end of a retry backoff), returned in `delayed`.
 */
export function transitionJob(snapshot: JobSnapshot, event: JobMachineEvent): { snapshot: JobSnapshot; delayed: DelayedJobEvent[] } {
  delayed = []
  const next = jobMachine.transition(snapshot, event, scope as never) as JobSnapshot
  return { snapshot: next, delayed }
}

let delayed: DelayedJobEvent[] = []
const inert = createActor(jobMachine, { input: {} })
const scope: ActorScope<JobSnapshot, JobMachineEvent> = {
  self: inert as never,
  id: '',
  sessionId: '',
  system: inert.system,
  logger: () => {},
  defer: () => {},
  emit: () => {},
  stopChild: () => {},
  actionExecutor: (action: ExecutableActionObject) => {
    const params = action.params as { event?: JobMachineEvent; delay?: number } | undefined
    if (action.type === 'xstate.raise' && params?.event && typeof params.delay === 'number') delayed.push({ event: params.event, delay: params.delay })
  },
}

function toError(error: unknown): JobError {
  if (error instanceof Error) {
    const { code, details } = error as { code?: unknown; details?: unknown }
    return {
      message: error.message,
      name: error.name,
      ...(typeof code === 'string' ? { code } : {}),
      ...(details !== undefined ? { details } : {}),
    }
  }
  return { message: String(error) }
}

function timeoutError(timeoutMs: number | undefined): JobError {
  return { message: `timed out after ${timeoutMs} ms`, code: 'timeout', name: 'TimeoutError' }
}

function cancelledError(reason: string | undefined): JobError {
  return { message: reason ?? 'cancelled', code: 'cancelled', name: 'CancelledError' }
}

function interruptedError(): JobError {
  return { message: 'interrupted: the engine stopped while this job was running', code: 'interrupted', name: 'InterruptedError' }
}
