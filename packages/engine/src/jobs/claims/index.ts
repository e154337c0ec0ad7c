import type { Driver, Storage } from 'unstorage'
import type { LmdbDriverOptions } from '../../storage/lmdb'
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

/** The fs store's driver opened without `shared`: its lock keeps every other process out. */
function openedAlone(driver: Driver): boolean {
  const options = driver.options as LmdbDriverOptions | undefined
  return options?.base !== undefined && !options.shared
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
      // A store this process opened alone (the fs store's default) has no other process to
      // claim against: its claims live in memory, and a claim costs no LMDB commit.
      return openedAlone(driver) ? memoryClaims() : lmdbClaims(driver.getInstance!(), kind)
    default:
      return storageClaims(storage, kind)
  }
}
