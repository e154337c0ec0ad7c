import { setTimeout as sleep } from 'node:timers/promises'

export interface RateLimiter {
  /** Resolves once another request may start; rejects when `signal` aborts first. */
  acquire: (signal?: AbortSignal) => Promise<void>
}

/**
 * A sliding window: at most `perSecond` requests start in any `windowMs`.
 * Waiters queue in order so a burst drains evenly instead of racing.
 */
export function createRateLimiter(perSecond: number, windowMs = 1000): RateLimiter {
  const started: number[] = []
  let queue: Promise<void> = Promise.resolve()

  const takeSlot = async (signal?: AbortSignal) => {
    for (;;) {
      const now = Date.now()
      while (started.length > 0 && started[0]! <= now - windowMs) started.shift()
      if (started.length < perSecond) {
        started.push(now)
        return
      }
      await sleep(started[0]! + windowMs - now, undefined, { signal })
    }
  }

  return {
    acquire(signal) {
      const turn = queue.then(() => takeSlot(signal))
      // A waiter that gave up must not block the ones behind it.
      queue = turn.catch(() => {})
      return turn
    },
  }
}

const sharedLimiters = new Map<string, { perSecond: number; limiter: RateLimiter }>()

/**
 * One limiter per credential across every job of the process, since the provider
 * counts requests per key, not per job. `id` should be a hash, never the key itself.
 */
export function sharedRateLimiter(id: string, perSecond: number): RateLimiter {
  const existing = sharedLimiters.get(id)
  if (existing && existing.perSecond === perSecond) return existing.limiter
  // A window 10% longer than a second: the server counts arrivals, and a slow first
  // request (connection setup) followed by fast ones would otherwise land too close.
  const limiter = createRateLimiter(perSecond, 1100)
  sharedLimiters.set(id, { perSecond, limiter })
  return limiter
}
