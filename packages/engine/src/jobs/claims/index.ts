import type { Driver, Storage } from 'unstorage'
import { lmdbClaims } from './lmdb'
import { memoryClaims } from './memory'
import { redisClaims } from './redis'
import { storageClaims } from './storage-fallback'
import type { ClaimKind, Claims } from './types'

export type { ClaimKind, Claims, JobClaims } from './types'
export { createOwner } from './owner'

/** One set of claims per driver instance and kind: every engine on a storage (in this process) shares them. */
const claimsByDriver = new WeakMap<Driver, Map<ClaimKind, Claims>>()

/**
 * The claims of a storage on jobs or workflows, by the atomic primitive its
 * driver offers: the driver mounted at the root decides (`storage.getMount('')`).
 */
export function claimsFor(storage: Storage, kind: ClaimKind = 'jobs'): Claims {
  const { driver } = storage.getMount('')
  let byKind = claimsByDriver.get(driver)
  if (!byKind) {
    byKind = new Map()
    claimsByDriver.set(driver, byKind)
  }
  let claims = byKind.get(kind)
  if (!claims) {
    claims = createClaims(driver, storage, kind)
    byKind.set(kind, claims)
  }
  return claims
}

function createClaims(driver: Driver, storage: Storage, kind: ClaimKind): Claims {
  switch (driver.name) {
    case 'memory':
      return memoryClaims()
    case 'redis': {
      const base = String((driver.options as { base?: string } | undefined)?.base ?? '').replace(/:$/, '')
      return redisClaims(driver.getInstance!(), base ? `${base}:` : '', kind)
    }
    case 'lmdb':
      return lmdbClaims(driver.getInstance!(), kind)
    default:
      return storageClaims(storage, kind)
  }
}
