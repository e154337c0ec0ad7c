import type { Claims } from './types'

interface Lease {
  owner: string
  expiresAt: number
}

/** Claims for a storage that lives in this process (unstorage's memory driver): a map, atomic by running on one thread. */
export function memoryClaims(): Claims {
  const leases = new Map<string, Lease>()
  return {
    acquire: (id, owner, leaseMs) => {
      const now = Date.now()
      const lease = leases.get(id)
      if (lease && lease.owner !== owner && lease.expiresAt > now) return FALSE
      leases.set(id, { owner, expiresAt: now + leaseMs })
      return TRUE
    },
    renew: (id, owner, leaseMs) => {
      const lease = leases.get(id)
      if (lease?.owner !== owner) return FALSE
      lease.expiresAt = Date.now() + leaseMs
      return TRUE
    },
    release: (id, owner) => {
      if (leases.get(id)?.owner === owner) leases.delete(id)
      return DONE
    },
  }
}

const TRUE = Promise.resolve(true)
const FALSE = Promise.resolve(false)
const DONE = Promise.resolve()
