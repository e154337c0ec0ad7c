import type { TokenPair } from '../../identity'
import type { SurfaceDeps } from '../../platform/surface-deps'
import { defineRoute, type RouteDefinition } from '../../platform/types'
import * as s from './schemas'

/** 002's token answer: `expires_in` in seconds, from the identity's own expiry. */
function tokenAnswer(pair: TokenPair) {
  return { token: pair.accessToken, refresh_token: pair.refreshToken, expires_in: Math.max(0, Math.round((Date.parse(pair.expiresAt) - Date.now()) / 1000)) }
}

/** `POST /v1/auth/login` and `/v1/auth/refresh` over the control-center identity (one user database, lockout and revocation). */
export function authRoutes({ identity }: SurfaceDeps): RouteDefinition[] {
  const common = { tags: ['auth'], auth: false, rateLimit: 'auth' as const, resource: 'auth', response: s.tokenAnswer }
  return [
    defineRoute({
      ...common,
      method: 'POST',
      path: '/v1/auth/login',
      summary: 'Login and receive an access token',
      audit: 'auth.login',
      body: s.loginBody,
      handler: async ({ body, ip, audit }) => {
        audit.username = body.username
        const pair = await identity.login({ username: body.username, password: body.password, mfaCode: body.mfa_code, ip })
        audit.userId = pair.user.id
        return tokenAnswer(pair)
      },
    }),
    defineRoute({
      ...common,
      method: 'POST',
      path: '/v1/auth/refresh',
      summary: 'Refresh the access token with a refresh token (rotated: the old one stops working)',
      action: 'refresh',
      body: s.refreshBody,
      handler: async ({ body, audit }) => {
        const pair = await identity.refresh(body.refresh_token)
        audit.userId = pair.user.id
        audit.username = pair.user.username
        return tokenAnswer(pair)
      },
    }),
  ]
}
