import { every } from '@provisio/plugins'
import { consola } from 'consola'
import type { Storage } from 'unstorage'
import type { Identity } from '../identity'

const log = consola.withTag('periodic')

/** Expired sessions, revocations and lockouts: Redis drops them by their TTL, other stores keep them until pruned. */
const identityPruneMs = 60 * 60 * 1000

/**
 * The server's housekeeping, each task once per period across the nodes sharing `storage`
 * (`every`). Returns the function that stops it.
 */
export function startPeriodicWork(storage: Storage, identity: Identity): () => void {
  const stops = [
    every(storage, 'identity:prune', identityPruneMs, () => identity.prune(), {
      onError: (error) => log.warn(`pruning expired sessions and lockouts failed: ${(error as Error).message}`),
    }),
  ]
  return () => {
    for (const stop of stops) stop()
  }
}
