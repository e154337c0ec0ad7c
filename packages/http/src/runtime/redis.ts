import type { Redis } from 'ioredis'
import type { Storage } from 'unstorage'

/** The Redis connection behind a storage on unstorage's redis driver, and the `base` its keys start with. */
export interface SharedRedis {
  client: Redis
  /** `provisio:` for `--storage redis`; empty without a base. */
  prefix: string
}

/** The storage's own Redis client, when its root is on Redis: what else must hold across nodes (rate limits) shares it. */
export function sharedRedisOf(storage: Storage): SharedRedis | undefined {
  const { driver } = storage.getMount('')
  if (driver.name !== 'redis' || !driver.getInstance) return undefined
  const base = String((driver.options as { base?: string } | undefined)?.base ?? '').replace(/:$/, '')
  return { client: driver.getInstance() as Redis, prefix: base ? `${base}:` : '' }
}
