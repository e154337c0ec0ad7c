import { createHash } from 'node:crypto'

/** Every storage key identity writes: one record per key, indexes as keys of their own. */
export const identityKeys = {
  signingKey: 'identity:secrets:jwt',
  users: 'identity:users',
  user: (id: string) => `identity:users:${id}`,
  username: (name: string) => `identity:usernames:${name.toLowerCase()}`,
  roleMembers: (role: string) => `identity:role-members:${role}`,
  roleMember: (role: string, userId: string) => `identity:role-members:${role}:${userId}`,
  roles: 'identity:roles',
  role: (name: string) => `identity:roles:${name}`,
  // Replaced on every role write (outside `identity:roles:`, so that listing roles does not list it).
  roleChanges: 'identity:role-changes',
  refreshTokens: 'identity:refresh',
  refreshToken: (digest: string) => `identity:refresh:${digest}`,
  refreshFamilies: 'identity:refresh-families',
  refreshFamily: (id: string) => `identity:refresh-families:${id}`,
  revocations: 'identity:revoked',
  revocation: (jti: string) => `identity:revoked:${jti}`,
  keptSessions: 'identity:kept',
  keptSession: (jti: string) => `identity:kept:${jti}`,
  lockouts: 'identity:lockout',
  // Hashed so that any string a caller types as a username makes a safe, fixed-length key.
  lockout: (username: string) => `identity:lockout:${sha256(username.toLowerCase())}`,
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** The last segment of a storage key. */
export function lastSegment(key: string): string {
  return key.slice(key.lastIndexOf(':') + 1)
}
