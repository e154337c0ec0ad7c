import type { Storage } from 'unstorage'
import { createIdentity, type Identity } from '../identity'
import type { ServeConfig } from '../config/schema'
import { configuredSigningKey, ensureSigningKey } from './signing-key'

/**
 * The identity of a configured data dir. A key given by configuration (`signingKey`,
 * `signingKeyFile`) is used as it is; otherwise with fs or memory storage the key is a 0600 file in
 * the data dir, and with Redis identity keeps it in the shared storage. Either way every node of a
 * cluster verifies the same tokens.
 */
export function openIdentity(
  storage: Storage,
  config: Pick<ServeConfig, 'storage' | 'dataDir' | 'signingKey' | 'signingKeyFile' | 'accessTokenTtlSeconds' | 'refreshTokenTtlSeconds'>,
): { identity: Identity; keyPath?: string; keyCreated: boolean } {
  const configured = configuredSigningKey(config)
  const signing = configured ?? (config.storage === 'redis' ? undefined : ensureSigningKey(config.dataDir))
  const identity = createIdentity({
    storage,
    signingKey: signing?.key,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
  })
  return { identity, keyPath: signing?.path, keyCreated: signing?.created ?? false }
}
