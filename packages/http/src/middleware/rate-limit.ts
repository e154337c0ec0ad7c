import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import { ApiError } from '../platform/errors'
import type { RateLimitBucket } from '../platform/types'

/** Requests per minute of each bucket; 004's figures by default. */
export interface RateLimitConfig {
  auth: number
  general: number
  batch: number
}

export const defaultRateLimits: RateLimitConfig = { auth: 5, general: 100, batch: 10 }

export interface RateLimitState {
  limit: number
  remaining: number
  /** Unix time (seconds) at which the window resets. */
  reset: number
}

export interface RateLimits {
  readonly config: RateLimitConfig
  /** Counts one request; throws a 429 `ApiError` (with the headers) when the bucket is empty. */
  consume: (bucket: RateLimitBucket, key: string) => Promise<RateLimitState>
  /** The bucket's state for `key` without counting anything. */
  peek: (bucket: RateLimitBucket, key: string) => Promise<RateLimitState>
}

const windowSeconds = 60

/**
 * One in-memory limiter per bucket, shared by every surface of a server so that a client cannot
 * multiply its budget by switching ports.
 */
export function createRateLimits(config: Partial<RateLimitConfig> = {}): RateLimits {
  const resolved: RateLimitConfig = { ...defaultRateLimits, ...config }
  const limiters = Object.fromEntries(
    (Object.keys(resolved) as RateLimitBucket[]).map((bucket) => [
      bucket,
      new RateLimiterMemory({ keyPrefix: bucket, points: resolved[bucket], duration: windowSeconds }),
    ]),
  ) as Record<RateLimitBucket, RateLimiterMemory>

  const stateOf = (bucket: RateLimitBucket, res: RateLimiterRes | null): RateLimitState => {
    const msBeforeNext = res?.msBeforeNext ?? windowSeconds * 1000
    return {
      limit: resolved[bucket],
      remaining: res ? Math.max(0, res.remainingPoints) : resolved[bucket],
      reset: Math.ceil((Date.now() + msBeforeNext) / 1000),
    }
  }

  return {
    config: resolved,
    async consume(bucket, key) {
      try {
        return stateOf(bucket, await limiters[bucket].consume(key))
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection
        const state = stateOf(bucket, rejection)
        const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))
        throw new ApiError(429, `Rate limit exceeded: ${state.limit} requests per minute; retry in ${retryAfter} s`, {
          headers: { ...rateLimitHeaders(state), 'Retry-After': String(retryAfter) },
        })
      }
    },
    async peek(bucket, key) {
      return stateOf(bucket, await limiters[bucket].get(key))
    },
  }
}

/** Writes the three `X-RateLimit-*` headers straight into the staged ones (every answer carries them). */
export function setRateLimitHeaders(headers: Headers, state: RateLimitState): void {
  headers.set('X-RateLimit-Limit', String(state.limit))
  headers.set('X-RateLimit-Remaining', String(state.remaining))
  headers.set('X-RateLimit-Reset', String(state.reset))
}

export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(state.limit),
    'X-RateLimit-Remaining': String(state.remaining),
    'X-RateLimit-Reset': String(state.reset),
  }
}
