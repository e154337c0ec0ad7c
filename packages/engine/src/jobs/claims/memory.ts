import type { JobClaims } from './types'

interface Lease {
  owner: string
  expiresAt: number
}

/** Claims for a storage that lives in this process (unstorage's memory driver): a map, atomic by running on one thread. */
export function memoryClaims(): JobClaims {
  const leases = new Map<string, Lease>()
  return {
    acquire: (jobId, owner, leaseMs) => {
      const now = Date.now()
      const lease = leases.get(jobId)
      if (lease && lease.owner !== owner && lease.expiresAt > now) return FALSE
      leases.set(jobId, { owner, expiresAt: now + leaseMs })
      return TRUE
    },
    renew: (jobId, owner, leaseMs) => {
      const lease = leases.get(jobId)
      if (lease?.owner !== owner) return FALSE
      lease.expiresAt = Date.now() + leaseMs
      return TRUE
    },
    release: (jobId, owner) => {
      if (leases.get(jobId)?.owner === owner) leases.delete(jobId)
      return DONE
    },
  }
}

const TRUE = Promise.resolve(true)
const FALSE = Promise.resolve(false)
const DONE = Promise.resolve()
