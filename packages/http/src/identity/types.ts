import type { SecretBox } from './secrets'
import type { Storage } from 'unstorage'

export interface LockoutOptions {
  /** Failed logins within `windowSeconds` that lock the account. */
  maxFailures: number
  windowSeconds: number
  /** How long a locked account refuses every login, even with the right password. */
  lockSeconds: number
}

export interface IdentityOptions {
  storage: Storage
  /** HS256 secret; when absent, created once and kept in storage at `identity:secrets:jwt`. */
  signingKey?: Uint8Array
  /** Default `provisio`. */
  issuer?: string
  /** Default 3600. */
  accessTokenTtlSeconds?: number
  /** Default 30 days. */
  refreshTokenTtlSeconds?: number
  /** Default 5 failures in 900 s lock for 900 s. */
  lockout?: LockoutOptions
  /** How long users, user listings, custom roles and their permissions are kept in memory (default 5000 ms); writes on this node clear them at once. */
  cacheTtlMs?: number
  /** The clock, in milliseconds; tests move it instead of sleeping. */
  now?: () => number
}

export interface User {
  id: string
  username: string
  email: string | null
  roles: string[]
  enabled: boolean
  mfaEnabled: boolean
  created_at: string
  updated_at: string
  last_login: string | null
}

export interface Role {
  name: string
  description: string
  /** Canonical permissions or wildcard patterns over them (`servers:*`, `*`). */
  permissions: string[]
  builtIn: boolean
}

export interface Principal {
  userId: string
  username: string
  roles: string[]
  /** Every canonical permission the roles grant, plus the wildcard patterns they hold. */
  permissions: ReadonlySet<string>
  tokenId: string
  expiresAt: Date
}

export interface TokenPair {
  accessToken: string
  expiresAt: string
  refreshToken: string
  refreshExpiresAt: string
  user: User
}

export interface UserInput {
  username: string
  password: string
  email?: string | null
  roles?: string[]
  enabled?: boolean
}

export interface UserPatch {
  email?: string | null
  roles?: string[]
  enabled?: boolean
  password?: string
}

/**
 * A fresh proof that the account holder is present, beyond the access token (which may have been
 * issued before MFA was on, or stolen): a current TOTP code or the password. A wrong proof counts
 * towards the login lockout and throws AuthError('step_up_failed', 403); none throws
 * AuthError('step_up_required', 403).
 */
export interface MfaStepUp {
  code?: string
  password?: string
}

export interface UserQuery {
  role?: string
  enabled?: boolean
  limit?: number
  offset?: number
}

export interface Identity {
  users: {
    create(input: UserInput): Promise<User>
    get(id: string): Promise<User | undefined>
    getByUsername(username: string): Promise<User | undefined>
    list(query?: UserQuery): Promise<{ items: User[]; total: number }>
    /**
     * A new password ends every session of the user (their tokens stop working), except the one
     * named in `keep`: the session that changed its own password goes on.
     */
    update(id: string, patch: UserPatch, options?: { keep?: Pick<Principal, 'tokenId' | 'expiresAt'> }): Promise<User>
    delete(id: string): Promise<void>
    count(): Promise<number>
  }
  roles: {
    list(): Promise<Role[]>
    get(name: string): Promise<Role | undefined>
    create(input: { name: string; description?: string; permissions: string[] }): Promise<Role>
    update(name: string, patch: { description?: string; permissions?: string[] }): Promise<Role>
    /** Refused for built-in roles and for roles still held by a user. */
    delete(name: string): Promise<void>
  }
  /** `accessTokenTtlSeconds` gives this login's access token a surface's own lifetime (CloudLab's 24 h); default the identity's. */
  login(input: { username: string; password: string; mfaCode?: string; ip?: string; accessTokenTtlSeconds?: number }): Promise<TokenPair>
  /** Rotates a refresh token: the old one stops working; presenting a used one again revokes its whole family (reuse detection) and throws AuthError('reused'). */
  refresh(refreshToken: string): Promise<TokenPair>
  /** Control-center's documented `POST /auth/refresh {"token": <current access token>}`: a still-valid access token is exchanged for a new one and revoked. */
  renewAccessToken(accessToken: string): Promise<{ accessToken: string; expiresAt: string }>
  /** Revokes the access token (by its jti) and, when given, the refresh token's whole family. */
  logout(accessToken: string, refreshToken?: string): Promise<void>
  /** Verifies signature, expiry, revocation, and that the user still exists and is enabled (a disabled or deleted user's tokens stop working at once). */
  verify(accessToken: string): Promise<Principal>
  mfa: {
    /**
     * Starts (or restarts) enrolment; MFA is required at login only after `confirm`. Once MFA is
     * on, re-enrolling needs `proof` (see `MfaStepUp`).
     */
    enroll(userId: string, proof?: MfaStepUp): Promise<{ secret: string; otpauthUrl: string }>
    confirm(userId: string, code: string): Promise<void>
    /** Turns MFA off; once it is on, only with `proof` (see `MfaStepUp`). */
    disable(userId: string, proof?: MfaStepUp): Promise<void>
    /** An administrator's reset: MFA off with no proof. The caller checks who may do it. */
    reset(userId: string): Promise<void>
  }
  /**
   * True when the principal's roles grant the permission, given in any surface's vocabulary.
   * Synchronous: a `Principal` carries its permissions; for bare `{ roles }` custom roles
   * come from the in-memory role cache, which `ready()` and every async call fill.
   */
  can(principal: Principal | { roles: string[] }, permission: string): boolean
  /**
   * True when the principal holds every permission the roles grant: someone may only edit an
   * account, or hand out roles, within their own rights. Synchronous, like `can`.
   */
  covers(principal: Principal | { roles: string[] }, roles: readonly string[]): boolean
  /** True when the password is the user's; for "change password" routes that ask for the current one. Not counted by the lockout. */
  checkPassword(userId: string, password: string): Promise<boolean>
  /** Lifts a login lockout at once (an administrator's or the break-glass reset; otherwise it expires by itself). */
  unlock(username: string): Promise<void>
  /** Creates the first administrator only when there are no users yet; returns undefined otherwise. */
  bootstrapAdmin(input: { username: string; password: string; email?: string }): Promise<User | undefined>
  /**
   * AES-256-GCM under a key derived from the signing key and `purpose`: secrets a surface keeps in
   * storage (CloudLab's vault password) are useless without the key.
   */
  secretBox(purpose: string): Promise<SecretBox>
  /** Loads the signing key and the custom roles; optional, every other call does it when needed. */
  ready(): Promise<void>
  /** Deletes expired revocations, refresh tokens and lockout records; returns how many. */
  prune(): Promise<number>
}
