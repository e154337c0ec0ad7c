import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import { ApiError } from '../platform/errors'
import type { RateLimitBucket } from '../platform/types'
import type { SharedRedis } from '../runtime/redis'

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

export interface RateLimitStore {
  /** Counts kept in Redis (`<prefix>rate-limit:<bucket>:<key>`), so every node of a cluster spends one budget. */
  redis?: SharedRedis
}

/**
 * One limiter per bucket, shared by every surface of a server so that a client cannot multiply its
 * budget by switching ports; in memory, or in Redis so that it cannot by switching nodes either.
 */
export function createRateLimits(config: Partial<RateLimitConfig> = {}, store: RateLimitStore = {}): RateLimits {
  const resolved: RateLimitConfig = { ...defaultRateLimits, ...config }
  const limiterOf = (bucket: RateLimitBucket): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix: bucket, points: resolved[bucket], duration: windowSeconds })
    if (!store.redis) return memory
    return new RateLimiterRedis({
      storeClient: store.redis.client,
      keyPrefix: `${store.redis.prefix}rate-limit:${bucket}`,
      points: resolved[bucket],
      duration: windowSeconds,
      // While Redis is unreachable each node counts on its own rather than failing (or holding) every request.
      insuranceLimiter: memory,
      rejectIfRedisNotReady: true,
    })
  }
  const limiters = Object.fromEntries((Object.keys(resolved) as RateLimitBucket[]).map((bucket) => [bucket, limiterOf(bucket)])) as Record<
    RateLimitBucket,
    RateLimiterAbstract
  >

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
