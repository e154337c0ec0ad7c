import type { Database, RootDatabase } from 'lmdb'
import { isDeadLocalOwner } from './owner'
import type { ClaimKind, Claims } from './types'

interface Lease {
  owner: string
  expiresAt: number
}

/**
 * Claims (on jobs or workflows: `kind`) in an LMDB environment (the fs store's driver; its `getInstance()` is
 * the `lmdb` root database), in a database of their own so they never show up
 * among the storage's keys. Each change reads and writes the lease inside one
 * LMDB write transaction (`transaction`, batched with the other writes of the
 * turn), which LMDB serialises across every process that opened the files.
 * The files live on one host, so a lease whose owner process is gone is void.
 */
export function lmdbClaims(root: RootDatabase, kind: ClaimKind = 'jobs'): Claims {
  const leases: Database<Lease, string> = root.openDB({ name: 'provisio-claims', encoding: 'json' })
  const key = (id: string) => `${kind}:${id}`
  return {
    acquire: (id, owner, leaseMs) =>
      decidedIn(leases, () => {
        const lease = leases.get(key(id))
        const now = Date.now()
        if (lease && lease.owner !== owner && lease.expiresAt > now && !isDeadLocalOwner(lease.owner)) return false
        leases.put(key(id), { owner, expiresAt: now + leaseMs })
        return true
      }),
    renew: (id, owner, leaseMs) =>
      leases.transaction(() => {
        if (leases.get(key(id))?.owner !== owner) return false
        leases.put(key(id), { owner, expiresAt: Date.now() + leaseMs })
        return true
      }),
    release: async (id, owner) => {
      await leases.transaction(() => {
        if (leases.get(key(id))?.owner === owner) leases.remove(key(id))
      })
    },
  }
}

/**
 * Runs `decide` in a write transaction and answers as soon as it has run, not
 * once the transaction is flushed: LMDB's one writer orders it before every
 * later write of every process, so no other claim can be decided against it,
 * and a crash before the flush loses the claim together with everything the
 * worker wrote after it (the job is then found pending, and claimed anew). A
 * commit that fails is reported by the writes that follow it.
 */
function decidedIn<T>(leases: Database<Lease, string>, decide: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    leases
      .transaction(() => {
        const result = decide()
        resolve(result)
        return result
      })
      .catch(reject)
  })
}
