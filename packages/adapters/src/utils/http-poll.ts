import { setTimeout as sleep } from 'node:timers/promises'
import { WaitTimeoutError } from './error'

export interface PollOptions<T> {
  /** Reads the resource once. May return `undefined` when it is not visible yet. */
  read: () => Promise<T | undefined>
  /** Whether the wait is over. */
  done: (value: T) => boolean
  /** One line describing the state; logged each time it changes. */
  describe: (value: T | undefined) => string
  /** Names the provider in the timeout error: `[provisio] [<provider>]`. */
  provider: string
  /** Starts the timeout error, e.g. `instance 1234 did not become ready`. */
  timeoutMessage: string
  intervalMs: number
  timeoutMs: number
  signal?: AbortSignal
  log?: (line: string) => void
  /** Called after each read with the share of the timeout used so far (0-1). */
  onPoll?: (value: T | undefined, elapsedShare: number) => void
}

/**
 * Reads a resource until `done` says so, logging state changes; rejects with a
 * `WaitTimeoutError` after `timeoutMs`, or with the signal's reason on cancel.
 */
export async function pollUntil<T>(options: PollOptions<T>): Promise<T> {
  const startedAt = Date.now()
  let lastState: string | undefined
  for (;;) {
    const value = await options.read()
    const state = options.describe(value)
    if (state !== lastState) {
      options.log?.(state)
      lastState = state
    }
    if (value !== undefined && options.done(value)) return value
    const elapsed = Date.now() - startedAt
    options.onPoll?.(value, Math.min(1, elapsed / options.timeoutMs))
    if (elapsed >= options.timeoutMs) {
      throw new WaitTimeoutError(options.provider, `${options.timeoutMessage} after ${options.timeoutMs} ms (last state: ${state})`)
    }
    await sleep(Math.min(options.intervalMs, options.timeoutMs - elapsed), undefined, { signal: options.signal })
  }
}
