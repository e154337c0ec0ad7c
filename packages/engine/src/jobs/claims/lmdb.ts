import type { Database, RootDatabase } from 'lmdb'
import { isDeadLocalOwner } from './owner'
import type { JobClaims } from './types'

interface Lease {
  owner: string
  expiresAt: number
}

/**
 * Claims in an LMDB environment (the fs store's driver; its `getInstance()` is
 * the `lmdb` root database), in a database of their own so they never show up
 * among the storage's keys. Each change reads and writes the lease inside one
 * LMDB write transaction (`transaction`, batched with the other writes of the
 * turn), which LMDB serialises across every process that opened the files.
 * The files live on one host, so a lease whose owner process is gone is void.
 */
export function lmdbClaims(root: RootDatabase): JobClaims {
  const leases: Database<Lease, string> = root.openDB({ name: 'provisio-claims', encoding: 'json' })
  return {
    acquire: (jobId, owner, leaseMs) =>
      leases.transaction(() => {
        const lease = leases.get(jobId)
        const now = Date.now()
        if (lease && lease.owner !== owner && lease.expiresAt > now && !isDeadLocalOwner(lease.owner)) return false
        leases.put(jobId, { owner, expiresAt: now + leaseMs })
        return true
      }),
    renew: (jobId, owner, leaseMs) =>
      leases.transaction(() => {
        if (leases.get(jobId)?.owner !== owner) return false
        leases.put(jobId, { owner, expiresAt: Date.now() + leaseMs })
        return true
      }),
    release: async (jobId, owner) => {
      await leases.transaction(() => {
        if (leases.get(jobId)?.owner === owner) leases.remove(jobId)
      })
    },
  }
}
