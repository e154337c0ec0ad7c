import type Redis from 'ioredis'

// Each key's holders are a sorted set of job ids scored by lease end, in Redis's own clock
// (TIME), so the nodes' clocks do not matter. Lapsed leases are dropped before counting.
const ACQUIRE = `
local now = redis.call('time')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('zremrangebyscore', KEYS[1], '-inf', ms)
local lease = tonumber(ARGV[3])
if redis.call('zscore', KEYS[1], ARGV[1]) or redis.call('zcard', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('zadd', KEYS[1], ms + lease, ARGV[1])
  redis.call('pexpire', KEYS[1], lease)
  return 1
end
return 0`
const RENEW = `
local now = redis.call('time')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if not redis.call('zscore', KEYS[1], ARGV[1]) then return 0 end
redis.call('zadd', KEYS[1], ms + tonumber(ARGV[2]), ARGV[1])
redis.call('pexpire', KEYS[1], ARGV[2])
return 1`

/** A held slot of a concurrency key; renewed until released. */
export interface HeldSlot {
  release(): Promise<void>
}

/**
 * The slots of each concurrency key, shared by every node: a counting
 * semaphore with leases on Redis. A node that dies holding a slot loses it
 * when the lease lapses, so a dead node cannot hold a key for ever.
 */
export class KeySlots {
  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    private readonly leaseMs: number,
    private readonly onError: (error: unknown, context: string) => void,
  ) {}

  /** Takes a slot of `key` for job `id` when fewer than `limit` are held; undefined when the key is full. */
  async acquire(key: string, id: string, limit: number): Promise<HeldSlot | undefined> {
    const redisKey = `${this.prefix}${key}`
    if ((await this.client.eval(ACQUIRE, 1, redisKey, id, limit, this.leaseMs)) !== 1) return undefined
    const renewal = setInterval(() => {
      this.client.eval(RENEW, 1, redisKey, id, this.leaseMs).catch((error) => this.onError(error, `renewing the slot of key "${key}" for job ${id}`))
    }, this.leaseMs / 3).unref()
    return {
      release: async () => {
        clearInterval(renewal)
        try {
          await this.client.zrem(redisKey, id)
        } catch (error) {
          // The lease lapses on its own.
          this.onError(error, `releasing the slot of key "${key}" for job ${id}`)
        }
      },
    }
  }
}
