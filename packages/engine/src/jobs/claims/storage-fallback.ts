import type { Storage } from 'unstorage'
import { isDeadLocalOwner } from './owner'
import type { ClaimKind, Claims } from './types'

interface Lease {
  owner: string
  expiresAt: number
}

/**
 * Claims for a driver with no atomic primitive known here: a read, then a
 * write, of `claims:<kind>:<id>`. Two processes can both read a free claim and
 * both take it, so this serves ONE engine process per storage only (the
 * claims still keep several engines of that process apart, and a restarted
 * process takes over the leases of the one that died). For several nodes use
 * a driver with its own claims: memory (one process), redis, or the fs store.
 */
export function storageClaims(storage: Storage, kind: ClaimKind = 'jobs'): Claims {
  const key = (id: string) => `claims:${kind}:${id}`
  // Within the process, each claim's read and write run one after another.
  const pending = new Map<string, Promise<unknown>>()
  const serial = <T>(id: string, change: () => Promise<T>): Promise<T> => {
    const next = (pending.get(id) ?? Promise.resolve()).then(change, change)
    pending.set(id, next)
    void next.finally(() => pending.get(id) === next && pending.delete(id)).catch(() => {})
    return next
  }
  return {
    acquire: (id, owner, leaseMs) =>
      serial(id, async () => {
        const lease = await storage.getItem<Lease>(key(id))
        const now = Date.now()
        if (lease && lease.owner !== owner && lease.expiresAt > now && !isDeadLocalOwner(lease.owner)) return false
        await storage.setItem(key(id), { owner, expiresAt: now + leaseMs })
        return true
      }),
    renew: (id, owner, leaseMs) =>
      serial(id, async () => {
        if ((await storage.getItem<Lease>(key(id)))?.owner !== owner) return false
        await storage.setItem(key(id), { owner, expiresAt: Date.now() + leaseMs })
        return true
      }),
    release: (id, owner) =>
      serial(id, async () => {
        if ((await storage.getItem<Lease>(key(id)))?.owner === owner) await storage.removeItem(key(id))
      }),
  }
}
