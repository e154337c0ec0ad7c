import { setTimeout as sleep } from 'node:timers/promises'
import { claimsFor, createOwner } from '@provisio/engine'
import type { Storage } from 'unstorage'

export interface StorageMutexOptions {
  /** How long a holder may keep it before others may take it anyway (a holder that died). Default 5 000 ms. */
  leaseMs?: number
  /** How long to wait for it before giving up with an error. Default 5 000 ms. */
  waitMs?: number
}

/** Runs `critical` while holding the named lock; callers in one process take turns before asking for it. */
export type Exclusive = <T>(name: string, critical: () => Promise<T>) => Promise<T>

/**
 * A lock for short read-modify-writes of one record by several nodes: on Redis the engine's claim
 * (`SET NX PX`, released by its owner), polled until free; any other store is one server's alone
 * (the server opens its fs store exclusively), where the caller's own turn-taking is enough and `critical` runs at once.
 */
export function storageMutex(storage: Storage, options: StorageMutexOptions = {}): Exclusive {
  if (storage.getMount('').driver.name !== 'redis') return (_name, critical) => critical()
  const claims = claimsFor(storage, 'leases')
  const owner = createOwner()
  const leaseMs = options.leaseMs ?? 5_000
  const waitMs = options.waitMs ?? 5_000
  return async (name, critical) => {
    const claim = `mutex:${name}`
    const deadline = Date.now() + waitMs
    while (!(await claims.acquire(claim, owner, leaseMs))) {
      if (Date.now() > deadline) throw new Error(`[provisio] [cluster] lock "${name}" still held by another node after ${waitMs} ms`)
      // Jittered, so that nodes waiting together do not ask together again.
      await sleep(2 + Math.random() * 8)
    }
    try {
      return await critical()
    } finally {
      await claims.release(claim, owner)
    }
  }
}
