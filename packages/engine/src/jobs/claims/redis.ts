import type Redis from 'ioredis'
import type { ClaimKind, Claims } from './types'

// Compare-and-act scripts: the lease is changed only by the owner whose name it holds.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`

/**
 * Claims (on jobs or workflows: `kind`) on Redis (unstorage's redis driver; its `getInstance()` is an
 * ioredis client): `SET key owner NX PX lease` takes a claim only when no
 * live lease exists, and Redis itself drops a lease that was not renewed.
 * `prefix` is the driver's `base`, so claims sit beside the data they guard.
 */
export function redisClaims(client: Redis, prefix: string, kind: ClaimKind = 'jobs'): Claims {
  const key = (id: string) => `${prefix}claims:${kind}:${id}`
  return {
    acquire: async (id, owner, leaseMs) => (await client.set(key(id), owner, 'PX', leaseMs, 'NX')) === 'OK',
    renew: async (id, owner, leaseMs) => (await client.eval(RENEW, 1, key(id), owner, leaseMs)) === 1,
    release: async (id, owner) => {
      await client.eval(RELEASE, 1, key(id), owner)
    },
  }
}
