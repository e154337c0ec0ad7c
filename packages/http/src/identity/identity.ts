import { storageMutex } from '@provisio/plugins'
import { createAccessTokens, type AccessClaims } from './access-tokens'
import { AuthError, IdentityError } from './errors'
import { createLockout } from './lockout'
import { createTotpSecret, matchTotp, totpUrl } from './mfa'
import { coversGrants, holds, toCanonicalPermission } from './permissions'
import { verifyDecoy, verifyPassword } from './passwords'
import { createRoleStore } from './role-store'
import { createSecretBox, loadSigningKey, type SecretBox } from './secrets'
import { sha256 } from './keys'
import { createKeyedQueue } from './serialize'
import { createSessions } from './sessions'
import type { Identity, IdentityOptions, MfaStepUp, Principal, TokenPair } from './types'
import { createUserStore, toPublicUser, type StoredUser } from './user-store'

const day = 24 * 60 * 60

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number`)
  return value
}

export function createIdentity(options: IdentityOptions): Identity {
  const { storage } = options
  const now = options.now ?? Date.now
  const issuer = options.issuer ?? 'provisio'
  const cacheTtlMs = options.cacheTtlMs ?? 5000
  const lockoutPolicy = {
    maxFailures: positive(options.lockout?.maxFailures, 5, 'lockout.maxFailures'),
    windowSeconds: positive(options.lockout?.windowSeconds, 900, 'lockout.windowSeconds'),
    lockSeconds: positive(options.lockout?.lockSeconds, 900, 'lockout.lockSeconds'),
  }

  let keyLoading: Promise<Uint8Array> | undefined
  const signingKey = () =>
    (keyLoading ??= loadSigningKey(storage, options.signingKey).catch((error: unknown) => {
      keyLoading = undefined
      throw error
    }))
  let mfaBox: SecretBox | undefined
  const mfaSecrets = async () => (mfaBox ??= createSecretBox(await signingKey(), 'mfa'))

  const roles = createRoleStore({ storage, cacheTtlMs, now })
  const users = createUserStore({ storage, roles, cacheTtlMs, now })
  const lockout = createLockout({ storage, policy: lockoutPolicy, now })
  const sessions = createSessions({ storage, ttlSeconds: positive(options.refreshTokenTtlSeconds, 30 * day, 'refreshTokenTtlSeconds'), now })
  const accessTokens = createAccessTokens({
    key: signingKey,
    issuer,
    ttlSeconds: positive(options.accessTokenTtlSeconds, 3600, 'accessTokenTtlSeconds'),
    now,
  })
  const serialize = createKeyedQueue()
  const exclusive = storageMutex(storage)
  const timestamp = () => new Date(now()).toISOString()

  function signAccess(user: StoredUser, ttlSeconds?: number) {
    return accessTokens.sign({ userId: user.id, username: user.username, roles: user.roles, sessionEpoch: user.session_epoch, ttlSeconds })
  }

  async function issuePair(user: StoredUser, familyId?: string, accessTtlSeconds?: number): Promise<TokenPair> {
    const access = await signAccess(user, accessTtlSeconds)
    const refresh = await sessions.issue({ userId: user.id, sessionEpoch: user.session_epoch, familyId })
    return {
      accessToken: access.token,
      expiresAt: access.expiresAt.toISOString(),
      refreshToken: refresh.token,
      refreshExpiresAt: refresh.expiresAt.toISOString(),
      user: toPublicUser(user),
    }
  }

  function assertActive(user: StoredUser | undefined, sessionEpoch: number): asserts user is StoredUser {
    if (!user) throw new AuthError('invalid_token', 'User not found')
    if (!user.enabled) throw new AuthError('disabled', 'Account disabled')
    if (user.session_epoch !== sessionEpoch) throw new AuthError('revoked', 'Session ended by a password change')
  }

  // The hot path: one signature check, then the revocation read and the (cached) user read side by side.
  async function authenticate(token: string): Promise<{ claims: AccessClaims; user: StoredUser }> {
    const claims = await accessTokens.verify(token)
    const [revoked, user] = await Promise.all([sessions.isAccessTokenRevoked(claims.jti), users.getCached(claims.sub), roles.refresh()])
    if (revoked) throw new AuthError('revoked', 'Token revoked')
    // Read only when the epochs differ: a password change moved it on, unless it kept this session.
    const epoch = user && user.session_epoch !== claims.sev ? ((await sessions.keptEpochOf(claims.jti)) ?? claims.sev) : claims.sev
    assertActive(user, epoch)
    return { claims, user }
  }

  async function userOrThrow(id: string) {
    const user = await users.get(id)
    if (!user) throw new IdentityError('not_found', 'User not found')
    return user
  }

  /** The step-up check of MFA changes: a code (not replayed) or the password, counted by the lockout. */
  async function assertStepUp(user: StoredUser, proof: MfaStepUp | undefined) {
    if (user.mfa_secret === undefined) return
    const { code, password } = proof ?? {}
    if (!code && !password) throw new AuthError('step_up_required', 'Confirm with a current MFA code or your password', { status: 403 })
    await lockout.assertOpen(user.username)
    if (code) {
      const step = matchTotp((await mfaSecrets()).open(user.mfa_secret), code, now())
      if (step !== undefined && step > (user.mfa_last_step ?? -1)) {
        await users.amend(user.id, { mfa_last_step: step })
        return
      }
    } else if (await verifyPassword(user.password_hash, password!)) {
      return
    }
    await lockout.recordFailure(user.username)
    throw new AuthError('step_up_failed', code ? 'Invalid MFA code' : 'Invalid password', { status: 403 })
  }

  const identity: Identity = {
    users: {
      create: async (input) => toPublicUser(await users.create(input)),
      get: async (id) => {
        const user = await users.get(id)
        return user && toPublicUser(user)
      },
      getByUsername: async (username) => {
        const user = await users.getByUsername(username)
        return user && toPublicUser(user)
      },
      list: async (query) => {
        const { items, total } = await users.list(query)
        return { items: items.map(toPublicUser), total }
      },
      update: async (id, patch, options) => {
        const keep = patch?.password !== undefined ? options?.keep : undefined
        // Kept before the epoch moves on, so the session never sees itself ended.
        if (keep) {
          const current = await userOrThrow(id)
          await sessions.keepAccessToken(keep.tokenId, current.session_epoch + 1, keep.expiresAt)
        }
        return toPublicUser(await users.update(id, patch ?? {}))
      },
      delete: (id) => users.delete(id),
      count: () => users.count(),
    },

    roles: {
      list: () => roles.list(),
      get: (name) => roles.get(name),
      create: (input) => roles.create(input),
      update: (name, patch) => roles.update(name, patch ?? {}),
      delete: (name) => roles.delete(name),
    },

    async login(input) {
      const lifetime = input?.accessTokenTtlSeconds === undefined ? undefined : positive(input.accessTokenTtlSeconds, 3600, 'accessTokenTtlSeconds')
      const username = typeof input?.username === 'string' ? input.username : ''
      const password = typeof input?.password === 'string' ? input.password : ''
      await lockout.assertOpen(username)
      const found = await users.getByUsername(username)
      const passwordMatches = found ? await verifyPassword(found.password_hash, password) : await verifyDecoy(password)
      if (!found || !passwordMatches) {
        await lockout.recordFailure(username)
        throw new AuthError('invalid_credentials', 'Invalid credentials')
      }
      // Told only to someone who knows the password, so it reveals nothing to a guesser.
      if (!found.enabled) throw new AuthError('disabled', 'Account disabled')
      let mfaStep: number | undefined
      if (found.mfa_secret !== undefined) {
        const code = input.mfaCode
        if (code === undefined || code === null || code === '') throw new AuthError('mfa_required', 'MFA code required')
        mfaStep = matchTotp((await mfaSecrets()).open(found.mfa_secret), code, now())
        if (mfaStep === undefined || mfaStep <= (found.mfa_last_step ?? -1)) {
          await lockout.recordFailure(username)
          throw new AuthError('mfa_invalid', 'Invalid MFA code')
        }
      }
      await lockout.reset(username)
      const user = await users.amend(found.id, { last_login: timestamp(), ...(mfaStep === undefined ? {} : { mfa_last_step: mfaStep }) })
      await roles.refresh()
      return issuePair(user, undefined, lifetime)
    },

    async refresh(refreshToken) {
      let user: StoredUser | undefined
      const { familyId } = await sessions.rotate(refreshToken, async ({ userId, sessionEpoch }) => {
        user = await users.get(userId)
        assertActive(user, sessionEpoch)
      })
      return issuePair(user!, familyId)
    },

    renewAccessToken(accessToken) {
      // One at a time per token, in this process and across the nodes, so two concurrent renewals cannot both succeed.
      return serialize(`renew:${accessToken}`, () =>
        exclusive(`identity:renew:${sha256(accessToken)}`, async () => {
          const { claims, user } = await authenticate(accessToken)
          const next = await signAccess(user)
          await sessions.revokeAccessToken(claims.jti, new Date(claims.exp * 1000))
          return { accessToken: next.token, expiresAt: next.expiresAt.toISOString() }
        }),
      )
    },

    async logout(accessToken, refreshToken) {
      const { claims, user } = await authenticate(accessToken)
      await sessions.revokeAccessToken(claims.jti, new Date(claims.exp * 1000))
      if (refreshToken !== undefined) await sessions.revokeFamilyOf(refreshToken, user.id)
    },

    async verify(accessToken): Promise<Principal> {
      const { claims, user } = await authenticate(accessToken)
      return {
        userId: user.id,
        username: user.username,
        roles: [...user.roles],
        permissions: roles.grantsOf(user.roles),
        tokenId: claims.jti,
        expiresAt: new Date(claims.exp * 1000),
      }
    },

    mfa: {
      async enroll(userId, proof) {
        const user = await userOrThrow(userId)
        await assertStepUp(user, proof)
        const secret = createTotpSecret()
        await users.amend(user.id, { mfa_pending: (await mfaSecrets()).seal(secret) })
        return { secret, otpauthUrl: totpUrl(secret, issuer, user.username) }
      },
      async confirm(userId, code) {
        const user = await userOrThrow(userId)
        if (user.mfa_pending === undefined) throw new IdentityError('invalid', 'No MFA enrolment to confirm; enrol first')
        const step = matchTotp((await mfaSecrets()).open(user.mfa_pending), code, now())
        if (step === undefined) throw new AuthError('mfa_invalid', 'Invalid MFA code')
        await users.amend(user.id, { mfa_secret: user.mfa_pending, mfa_pending: undefined, mfa_last_step: step })
      },
      async disable(userId, proof) {
        await assertStepUp(await userOrThrow(userId), proof)
        await users.amend(userId, { mfa_secret: undefined, mfa_pending: undefined, mfa_last_step: undefined })
      },
      async reset(userId) {
        await userOrThrow(userId)
        await users.amend(userId, { mfa_secret: undefined, mfa_pending: undefined, mfa_last_step: undefined })
      },
    },

    can(principal, permission) {
      const held = 'permissions' in principal && principal.permissions instanceof Set ? principal.permissions : roles.grantsOf(principal.roles)
      return holds(held, toCanonicalPermission(permission))
    },

    covers(principal, roleNames) {
      const held = 'permissions' in principal && principal.permissions instanceof Set ? principal.permissions : roles.grantsOf(principal.roles)
      return coversGrants(held, roles.grantsOf(roleNames))
    },

    async checkPassword(userId, password) {
      const user = await users.get(userId)
      return user ? verifyPassword(user.password_hash, password) : verifyDecoy(password)
    },

    unlock: (username) => lockout.reset(username),

    async bootstrapAdmin(input) {
      const user = await users.createFirst({ ...input, roles: ['admin'], enabled: true })
      return user && toPublicUser(user)
    },

    async secretBox(purpose) {
      return createSecretBox(await signingKey(), purpose)
    },

    async ready() {
      await signingKey()
      await roles.refresh()
    },

    async prune() {
      return (await sessions.prune()) + (await lockout.prune())
    },
  }
  return identity
}
