import type { Driver, Storage } from 'unstorage'
import { lmdbClaims } from './lmdb'
import { memoryClaims } from './memory'
import { redisClaims } from './redis'
import { storageClaims } from './storage-fallback'
import type { JobClaims } from './types'

export type { JobClaims } from './types'
export { createOwner } from './owner'

/** One set of claims per driver instance: every engine on a storage (in this process) shares them. */
const claimsByDriver = new WeakMap<Driver, JobClaims>()

/**
 * The claims of a storage, by the atomic primitive its driver offers: the
 * driver mounted at the root decides (`storage.getMount('')`).
 */
export function claimsFor(storage: Storage): JobClaims {
  const { driver } = storage.getMount('')
  let claims = claimsByDriver.get(driver)
  if (!claims) {
    claims = createClaims(driver, storage)
    claimsByDriver.set(driver, claims)
  }
  return claims
}

function createClaims(driver: Driver, storage: Storage): JobClaims {
  switch (driver.name) {
    case 'memory':
      return memoryClaims()
    case 'redis': {
      const base = String((driver.options as { base?: string } | undefined)?.base ?? '').replace(/:$/, '')
      return redisClaims(driver.getInstance!(), base ? `${base}:` : '')
    }
    case 'lmdb':
      return lmdbClaims(driver.getInstance!())
    default:
      return storageClaims(storage)
  }
}
