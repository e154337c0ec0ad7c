import type { Storage } from 'unstorage'
import { isDeadLocalOwner } from './owner'
import type { JobClaims } from './types'

interface Lease {
  owner: string
  expiresAt: number
}

/**
 * Claims for a driver with no atomic primitive known here: a read, then a
 * write, of `claims:jobs:<id>`. Two processes can both read a free claim and
 * both take it, so this serves ONE engine process per storage only (the
 * claims still keep several engines of that process apart, and a restarted
 * process takes over the leases of the one that died). For several nodes use
 * a driver with its own claims: memory (one process), redis, or the fs store.
 */
export function storageClaims(storage: Storage): JobClaims {
  const key = (jobId: string) => `claims:jobs:${jobId}`
  // Within the process, each claim's read and write run one after another.
  const pending = new Map<string, Promise<unknown>>()
  const serial = <T>(jobId: string, change: () => Promise<T>): Promise<T> => {
    const next = (pending.get(jobId) ?? Promise.resolve()).then(change, change)
    pending.set(jobId, next)
    void next.finally(() => pending.get(jobId) === next && pending.delete(jobId)).catch(() => {})
    return next
  }
  return {
    acquire: (jobId, owner, leaseMs) =>
      serial(jobId, async () => {
        const lease = await storage.getItem<Lease>(key(jobId))
        const now = Date.now()
        if (lease && lease.owner !== owner && lease.expiresAt > now && !isDeadLocalOwner(lease.owner)) return false
        await storage.setItem(key(jobId), { owner, expiresAt: now + leaseMs })
        return true
      }),
    renew: (jobId, owner, leaseMs) =>
      serial(jobId, async () => {
        if ((await storage.getItem<Lease>(key(jobId)))?.owner !== owner) return false
        await storage.setItem(key(jobId), { owner, expiresAt: Date.now() + leaseMs })
        return true
      }),
    release: (jobId, owner) =>
      serial(jobId, async () => {
        if ((await storage.getItem<Lease>(key(jobId)))?.owner === owner) await storage.removeItem(key(jobId))
      }),
  }
}
