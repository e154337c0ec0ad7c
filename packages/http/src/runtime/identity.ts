import type { Storage } from 'unstorage'
import { createIdentity, type Identity } from '../identity'
import type { ServeConfig } from '../config/schema'
import { ensureSigningKey } from './signing-key'

/**
 * The identity of a configured data dir. With fs or memory storage the signing key is a 0600 file
 * in the data dir; with Redis, identity keeps it in the shared storage so every node verifies the
 * same tokens.
 */
export function openIdentity(storage: Storage, config: ServeConfig): { identity: Identity; keyPath?: string; keyCreated: boolean } {
  const signing = config.storage === 'redis' ? undefined : ensureSigningKey(config.dataDir)
  const identity = createIdentity({
    storage,
    signingKey: signing?.key,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
  })
  return { identity, keyPath: signing?.path, keyCreated: signing?.created ?? false }
}
