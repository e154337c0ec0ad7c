import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto'
import { errors, jwtVerify, SignJWT } from 'jose'
import { AuthError } from './errors'

export interface AccessClaims {
  sub: string
  jti: string
  roles: string[]
  /** The user's session epoch when the token was made; a password change moves it on. */
  sev: number
  iat: number
  exp: number
  iss: string
}

export interface AccessTokens {
  sign(input: {
    userId: string
    username: string
    roles: string[]
    sessionEpoch: number
    ttlSeconds?: number
  }): Promise<{ token: string; jti: string; expiresAt: Date }>
  /** Checks the signature, issuer and expiry only; revocation and the user are the caller's business. */
  verify(token: string): Promise<AccessClaims>
}

export function createAccessTokens(options: { key: () => Promise<Uint8Array>; issuer: string; ttlSeconds: number; now: () => number }): AccessTokens {
  const { key, issuer, ttlSeconds, now } = options
  // jose imports a raw key on every call (most of a verification's cost); a KeyObject is used as it is.
  let keyObject: Promise<KeyObject> | undefined
  const signingKey = () => (keyObject ??= key().then((bytes) => createSecretKey(bytes)))
  // Every request presents its token again: remember the ones whose signature already checked out,
  // until they expire. Revocation and the user's state are checked by the caller on every request.
  const verified = new Map<string, AccessClaims>()
  const VERIFIED_MAX = 10_000
  return {
    async sign({ userId, username, roles, sessionEpoch, ttlSeconds: lifetime = ttlSeconds }) {
      const issuedAt = Math.floor(now() / 1000)
      const expiresAt = issuedAt + lifetime
      const jti = randomUUID()
      const token = await new SignJWT({ roles, name: username, sev: sessionEpoch })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setJti(jti)
        .setIssuer(issuer)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(await signingKey())
      return { token, jti, expiresAt: new Date(expiresAt * 1000) }
    },
    async verify(token) {
      if (typeof token !== 'string' || token.length === 0) throw new AuthError('invalid_token', 'Invalid token')
      const known = verified.get(token)
      if (known) {
        if (known.exp * 1000 > now()) return known
        verified.delete(token)
        throw new AuthError('expired', 'Token expired')
      }
      let payload: Record<string, unknown>
      try {
        ;({ payload } = await jwtVerify(token, await signingKey(), {
          issuer,
          algorithms: ['HS256'],
          currentDate: new Date(now()),
          requiredClaims: ['sub', 'jti', 'exp', 'iat'],
        }))
      } catch (error) {
        if (error instanceof errors.JWTExpired) throw new AuthError('expired', 'Token expired')
        throw new AuthError('invalid_token', 'Invalid token')
      }
      const { sub, jti, exp, iat, sev, roles } = payload
      if (typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number' || typeof iat !== 'number') {
        throw new AuthError('invalid_token', 'Invalid token')
      }
      const claims: AccessClaims = {
        sub,
        jti,
        exp,
        iat,
        iss: issuer,
        sev: typeof sev === 'number' ? sev : -1,
        roles: Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : [],
      }
      if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!)
      verified.set(token, claims)
      return claims
    },
  }
}
