import { storageMutex } from '@provisio/plugins'
import { randomBytes, randomUUID } from 'node:crypto'
import type { Storage } from 'unstorage'
import { AuthError } from './errors'
import { identityKeys, sha256 } from './keys'
import { createKeyedQueue } from './serialize'

interface RefreshRecord {
  userId: string
  familyId: string
  expiresAt: number
  /** Set when the token was exchanged; kept until expiry so that a second use is seen as reuse. */
  usedAt?: number
}

/** The tokens issued from one login; revoking it ends every refresh token of that login. */
interface FamilyRecord {
  userId: string
  sessionEpoch: number
  revoked: boolean
  expiresAt: number
}

interface Expiring {
  expiresAt: number
}

/** An access token that outlives a password change: valid under `sessionEpoch` too. */
interface KeptRecord extends Expiring {
  sessionEpoch: number
}

export interface Sessions {
  issue(input: { userId: string; sessionEpoch: number; familyId?: string }): Promise<{ token: string; expiresAt: Date }>
  /**
   * Uses a refresh token up; the caller issues the next one in the same family. `accept` runs
   * before the token is marked used: when it throws (a disabled account), the token is left as it
   * was, so using it again later is not mistaken for theft.
   */
  rotate(
    token: string,
    accept?: (grant: { userId: string; sessionEpoch: number }) => Promise<void>,
  ): Promise<{ userId: string; familyId: string; sessionEpoch: number }>
  /** Ends the login the refresh token belongs to, when it belongs to `userId`. */
  revokeFamilyOf(token: string, userId: string): Promise<void>
  revokeAccessToken(jti: string, expiresAt: Date): Promise<void>
  isAccessTokenRevoked(jti: string): Promise<boolean>
  /** Lets the access token go on under a later session epoch (the session that changed the password). */
  keepAccessToken(jti: string, sessionEpoch: number, expiresAt: Date): Promise<void>
  /** The later session epoch the access token was kept for, if any. */
  keptEpochOf(jti: string): Promise<number | undefined>
  prune(): Promise<number>
}

export function createSessions(options: { storage: Storage; ttlSeconds: number; now: () => number }): Sessions {
  const { storage, ttlSeconds, now } = options
  // A refresh token is used once: its rotations take turns in this process and, by a lock in the
  // shared storage, across the nodes of a cluster.
  const serialize = createKeyedQueue()
  const exclusive = storageMutex(storage)

  // The storage drivers that honour `ttl` (redis) drop expired records by themselves; `prune()` covers the rest.
  function ttlOf(expiresAt: number) {
    return { ttl: Math.max(1, Math.ceil((expiresAt - now()) / 1000)) }
  }

  async function revokeFamily(familyId: string) {
    const family = await storage.getItem<FamilyRecord>(identityKeys.refreshFamily(familyId))
    if (!family || family.revoked) return
    await storage.setItem(identityKeys.refreshFamily(familyId), { ...family, revoked: true }, ttlOf(family.expiresAt))
  }

  return {
    async issue({ userId, sessionEpoch, familyId = randomUUID() }) {
      const token = randomBytes(32).toString('base64url')
      const expiresAt = now() + ttlSeconds * 1000
      const family: FamilyRecord = { userId, sessionEpoch, revoked: false, expiresAt }
      await storage.setItem(identityKeys.refreshFamily(familyId), family, ttlOf(expiresAt))
      const record: RefreshRecord = { userId, familyId, expiresAt }
      await storage.setItem(identityKeys.refreshToken(sha256(token)), record, ttlOf(expiresAt))
      return { token, expiresAt: new Date(expiresAt) }
    },

    rotate(token, accept) {
      if (typeof token !== 'string' || token.length === 0) {
        return Promise.reject(new AuthError('invalid_token', 'Invalid refresh token'))
      }
      const key = identityKeys.refreshToken(sha256(token))
      return serialize(key, () =>
        exclusive(key, async () => {
          const record = await storage.getItem<RefreshRecord>(key)
          if (!record) throw new AuthError('invalid_token', 'Invalid refresh token')
          if (record.expiresAt <= now()) throw new AuthError('expired', 'Refresh token expired')
          const family = await storage.getItem<FamilyRecord>(identityKeys.refreshFamily(record.familyId))
          if (!family || family.revoked) throw new AuthError('revoked', 'Refresh token revoked')
          if (record.usedAt !== undefined) {
            // A used token coming back means two holders: end the whole login for both.
            await revokeFamily(record.familyId)
            throw new AuthError('reused', 'Refresh token already used; the session has been revoked')
          }
          await accept?.({ userId: record.userId, sessionEpoch: family.sessionEpoch })
          await storage.setItem(key, { ...record, usedAt: now() }, ttlOf(record.expiresAt))
          return { userId: record.userId, familyId: record.familyId, sessionEpoch: family.sessionEpoch }
        }),
      )
    },

    async revokeFamilyOf(token, userId) {
      if (typeof token !== 'string' || token.length === 0) return
      const record = await storage.getItem<RefreshRecord>(identityKeys.refreshToken(sha256(token)))
      if (record && record.userId === userId) await revokeFamily(record.familyId)
    },

    async revokeAccessToken(jti, expiresAt) {
      const record: Expiring = { expiresAt: expiresAt.getTime() }
      await storage.setItem(identityKeys.revocation(jti), record, ttlOf(record.expiresAt))
    },

    isAccessTokenRevoked(jti) {
      return storage.hasItem(identityKeys.revocation(jti))
    },

    async keepAccessToken(jti, sessionEpoch, expiresAt) {
      const record: KeptRecord = { sessionEpoch, expiresAt: expiresAt.getTime() }
      await storage.setItem(identityKeys.keptSession(jti), record, ttlOf(record.expiresAt))
    },

    async keptEpochOf(jti) {
      return (await storage.getItem<KeptRecord>(identityKeys.keptSession(jti)))?.sessionEpoch
    },

    async prune() {
      let removed = 0
      for (const base of [identityKeys.revocations, identityKeys.keptSessions, identityKeys.refreshTokens, identityKeys.refreshFamilies]) {
        for (const key of await storage.getKeys(base)) {
          const record = await storage.getItem<Expiring>(key)
          if (!record || typeof record.expiresAt !== 'number' || record.expiresAt <= now()) {
            await storage.removeItem(key)
            removed++
          }
        }
      }
      return removed
    },
  }
}
