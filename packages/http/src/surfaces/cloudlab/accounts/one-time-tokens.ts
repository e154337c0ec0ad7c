import { createHash, randomBytes } from 'node:crypto'
import type { Storage } from 'unstorage'

export type OneTimeTokenKind = 'invite' | 'reset'

/** The reference's lifetimes (§8): invites 72 h, resets 1 h. */
export const tokenLifetimesMs: Record<OneTimeTokenKind, number> = { invite: 72 * 3600_000, reset: 3600_000 }

interface TokenRecord {
  kind: OneTimeTokenKind
  userId: string
  expiresAt: number
}

/**
 * Invite and reset tokens: 64 URL-safe characters, good once, the newest of a kind per user only.
 * Only their SHA-256 is stored, so a copy of the storage does not hold usable links.
 */
export interface OneTimeTokens {
  issue(kind: OneTimeTokenKind, userId: string): Promise<string>
  /** The user the token was issued to, once; undefined when unknown, used, voided or expired. */
  consume(kind: OneTimeTokenKind, token: string): Promise<string | undefined>
}

export function createOneTimeTokens(storage: Storage, now: () => number = Date.now): OneTimeTokens {
  const digest = (token: string) => createHash('sha256').update(token).digest('hex')
  const tokenKey = (hash: string) => `cloudlab:tokens:${hash}`
  const latestKey = (kind: OneTimeTokenKind, userId: string) => `cloudlab:latest-token:${kind}:${userId}`

  return {
    async issue(kind, userId) {
      const previous = await storage.getItem<string>(latestKey(kind, userId))
      if (typeof previous === 'string') await storage.removeItem(tokenKey(previous))
      const token = randomBytes(48).toString('base64url')
      const hash = digest(token)
      await storage.setItem(tokenKey(hash), { kind, userId, expiresAt: now() + tokenLifetimesMs[kind] } satisfies TokenRecord)
      await storage.setItem(latestKey(kind, userId), hash)
      return token
    },

    async consume(kind, token) {
      const hash = digest(token)
      const record = await storage.getItem<TokenRecord>(tokenKey(hash))
      if (!record || record.kind !== kind) return undefined
      await storage.removeItem(tokenKey(hash))
      await storage.removeItem(latestKey(kind, record.userId))
      return record.expiresAt > now() ? record.userId : undefined
    },
  }
}
