import { storageMutex } from '@provisio/plugins'
import type { Storage } from 'unstorage'
import { AuthError } from './errors'
import { identityKeys } from './keys'
import { createKeyedQueue } from './serialize'
import type { LockoutOptions } from './types'

interface LockoutRecord {
  failures: number
  windowStart: number
  lockedUntil?: number
  expiresAt: number
}

export interface Lockout {
  /** Throws AuthError('locked') while the username is locked. */
  assertOpen(username: string): Promise<void>
  recordFailure(username: string): Promise<void>
  reset(username: string): Promise<void>
  prune(): Promise<number>
}

/**
 * Failed logins counted per username (known or not, so a lock does not reveal which names
 * exist), kept in storage so that every node of a cluster sees the same count.
 */
export function createLockout(options: { storage: Storage; policy: LockoutOptions; now: () => number }): Lockout {
  const { storage, policy, now } = options
  // Concurrent failures for one name must each count, so their read-modify-writes take turns:
  // in this process by the queue, across the nodes of a cluster by a lock in the shared storage.
  const serialize = createKeyedQueue()
  const exclusive = storageMutex(storage)

  return {
    async assertOpen(username) {
      const record = await storage.getItem<LockoutRecord>(identityKeys.lockout(username))
      const lockedUntil = record?.lockedUntil ?? 0
      if (lockedUntil > now()) {
        const retryAfterSeconds = Math.ceil((lockedUntil - now()) / 1000)
        throw new AuthError('locked', `Account locked after too many failed logins; try again in ${retryAfterSeconds} s`, {
          status: 423,
          retryAfterSeconds,
        })
      }
    },

    recordFailure(username) {
      const key = identityKeys.lockout(username)
      return serialize(key, () =>
        exclusive(key, async () => {
          const time = now()
          const previous = await storage.getItem<LockoutRecord>(key)
          const windowOpen = previous && previous.windowStart + policy.windowSeconds * 1000 > time && !previous.lockedUntil
          const failures = windowOpen ? previous.failures + 1 : 1
          const windowStart = windowOpen ? previous.windowStart : time
          const record: LockoutRecord = { failures, windowStart, expiresAt: windowStart + policy.windowSeconds * 1000 }
          if (failures >= policy.maxFailures) {
            record.lockedUntil = time + policy.lockSeconds * 1000
            record.expiresAt = Math.max(record.expiresAt, record.lockedUntil)
          }
          await storage.setItem(key, record, { ttl: Math.max(1, Math.ceil((record.expiresAt - time) / 1000)) })
        }),
      )
    },

    async reset(username) {
      await storage.removeItem(identityKeys.lockout(username))
    },

    async prune() {
      let removed = 0
      for (const key of await storage.getKeys(identityKeys.lockouts)) {
        const record = await storage.getItem<LockoutRecord>(key)
        if (!record || !(record.expiresAt > now())) {
          await storage.removeItem(key)
          removed++
        }
      }
      return removed
    },
  }
}
