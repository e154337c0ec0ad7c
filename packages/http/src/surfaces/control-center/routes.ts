import type { AuditEntry } from '../../audit'
import type { Role, TokenPair, User } from '../../identity'
import type { Policy } from '../../policies'
import { pageAnswer } from '../../middleware/pagination'
import { ApiError } from '../../platform/errors'
import type { SurfaceDeps } from '../../platform/surface-deps'
import { defineRoute, type RouteDefinition } from '../../platform/types'
import { assertKeepsPolicyAccess } from './policy-guard'
import { assertMayGiveRoles, assertMayTouch, assertMayUpdate } from './account-rights'
import { version } from '../../version'
import * as s from './schemas'

/** A user as the control-center answers it (also the bare route's body in bench/http.ts). */
export function userView(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    roles: user.roles,
    enabled: user.enabled,
    mfa_enabled: user.mfaEnabled,
    created_at: user.created_at,
    last_login: user.last_login,
  }
}

function roleView(role: Role) {
  return { name: role.name, description: role.description, permissions: role.permissions, built_in: role.builtIn }
}

function policyView(policy: Policy) {
  return { id: policy.id, name: policy.name, version: policy.version, rules: policy.rules, enabled: policy.enabled, created_at: policy.created_at }
}

function auditView(entry: AuditEntry) {
  return {
    id: entry.id,
    timestamp: entry.timestamp,
    user_id: entry.user_id,
    username: entry.username,
    action: entry.action,
    resource: entry.resource,
    result: entry.result,
    details: entry.details,
    ip: entry.ip,
  }
}

function loginView(pair: TokenPair) {
  return {
    token: pair.accessToken,
    expires_at: pair.expiresAt,
    refresh_token: pair.refreshToken,
    refresh_expires_at: pair.refreshExpiresAt,
    user: { id: pair.user.id, username: pair.user.username, email: pair.user.email, roles: pair.user.roles },
  }
}

/** Every route of 004's "Control Center API" part, plus the extensions listed in docs/server.md. */
export function controlCenterRoutes({ identity, policies, audit, providers, startedAt }: SurfaceDeps): RouteDefinition[] {
  async function userOrNotFound(id: string): Promise<User> {
    const user = await identity.users.get(id)
    if (!user) throw new ApiError(404, `User ${id} not found`)
    return user
  }

  return [
    defineRoute({
      method: 'GET',
      path: '/health',
      summary: 'Health, and whether providers run in sandbox mode',
      tags: ['health'],
      auth: false,
      response: s.healthView,
      handler: () => ({
        status: 'healthy' as const,
        surface: 'control-center',
        version,
        sandbox: providers.some((provider) => provider.mode === 'sandbox'),
        providers,
        uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
      }),
    }),

    defineRoute({
      method: 'POST',
      path: '/auth/login',
      summary: 'Authenticate and get a JWT',
      tags: ['auth'],
      auth: false,
      rateLimit: 'auth',
      resource: 'auth',
      audit: 'auth.login',
      body: s.loginBody,
      response: s.loginResponse,
      handler: async ({ body, ip, audit: note }) => {
        note.username = body.username
        const pair = await identity.login({ username: body.username, password: body.password, mfaCode: body.mfa_code, ip })
        note.userId = pair.user.id
        return loginView(pair)
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/refresh',
      summary: 'Exchange the current token for a new one (the old one stops working), or rotate a refresh token',
      tags: ['auth'],
      auth: false,
      rateLimit: 'auth',
      resource: 'auth',
      action: 'refresh',
      body: s.refreshBody,
      response: s.refreshResponse,
      handler: async ({ body, audit: note }) => {
        if (body.refresh_token !== undefined) {
          const pair = await identity.refresh(body.refresh_token)
          note.userId = pair.user.id
          note.username = pair.user.username
          return { token: pair.accessToken, expires_at: pair.expiresAt, refresh_token: pair.refreshToken, refresh_expires_at: pair.refreshExpiresAt }
        }
        const renewed = await identity.renewAccessToken(body.token!)
        return { token: renewed.accessToken, expires_at: renewed.expiresAt }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/logout',
      summary: 'Invalidate the token (and a refresh token when given)',
      tags: ['auth'],
      resource: 'auth',
      action: 'logout',
      body: s.logoutBody,
      response: s.message,
      handler: async ({ body, token }) => {
        await identity.logout(token!, body?.refresh_token)
        return 'Successfully logged out'
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/mfa/enroll',
      summary: 'Start TOTP enrolment for the caller; once MFA is on, re-enrolling needs {"code"} or {"password"} (extension)',
      tags: ['auth'],
      resource: 'auth/mfa',
      action: 'enroll',
      body: s.mfaStepUpBody,
      response: s.mfaEnrollResponse,
      handler: async ({ principal, body }) => {
        const enrolment = await identity.mfa.enroll(principal!.userId, body)
        return { secret: enrolment.secret, otpauth_url: enrolment.otpauthUrl }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/mfa/confirm',
      summary: 'Confirm enrolment with a code; MFA is then required at login (extension)',
      tags: ['auth'],
      resource: 'auth/mfa',
      action: 'confirm',
      body: s.mfaCodeBody,
      response: s.message,
      handler: async ({ principal, body }) => {
        await identity.mfa.confirm(principal!.userId, body.code)
        return 'MFA enabled'
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/mfa/disable',
      summary: 'Turn off the caller\'s MFA; needs {"code"} (a current TOTP code) or {"password"} (extension)',
      tags: ['auth'],
      resource: 'auth/mfa',
      action: 'disable',
      body: s.mfaStepUpBody,
      response: s.message,
      handler: async ({ principal, body }) => {
        await identity.mfa.disable(principal!.userId, body)
        return 'MFA disabled'
      },
    }),

    defineRoute({
      method: 'GET',
      path: '/users',
      summary: 'List users',
      tags: ['users'],
      permission: 'users:read',
      resource: 'users',
      action: 'read',
      query: s.userListQuery,
      response: s.userView.array(),
      handler: async ({ query, ...context }) => pageAnswer(await identity.users.list(query), query, context, userView),
    }),
    defineRoute({
      method: 'POST',
      path: '/users',
      summary: 'Create a user',
      tags: ['users'],
      status: 201,
      permission: 'users:create',
      resource: 'users',
      action: 'create',
      audit: 'user.create',
      body: s.createUserBody,
      response: s.createdUser,
      handler: async ({ body, principal, audit: note }) => {
        if (body.roles?.length) assertMayGiveRoles(identity, principal!, body.roles)
        const user = await identity.users.create(body)
        note.resource = `users/${user.id}`
        note.details = { username: user.username, roles: user.roles }
        return { id: user.id, username: user.username, email: user.email, roles: user.roles, enabled: user.enabled }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/users/:id',
      summary: 'Get a user (extension)',
      tags: ['users'],
      permission: 'users:read',
      resource: 'users/:id',
      action: 'read',
      params: s.idParams,
      response: s.userView,
      handler: async ({ params }) => userView(await userOrNotFound(params.id)),
    }),
    defineRoute({
      method: 'PUT',
      path: '/users/:id',
      summary: 'Update a user',
      tags: ['users'],
      permission: 'users:update',
      resource: 'users/:id',
      action: 'update',
      audit: 'user.update',
      params: s.idParams,
      body: s.updateUserBody,
      response: s.message,
      handler: async ({ params, body, principal, audit: note }) => {
        assertMayUpdate(identity, principal!, await userOrNotFound(params.id), body)
        await identity.users.update(params.id, body)
        note.details = { fields: Object.keys(body) }
        return 'User updated successfully'
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/users/:id',
      summary: 'Delete a user',
      tags: ['users'],
      permission: 'users:delete',
      resource: 'users/:id',
      action: 'delete',
      audit: 'user.delete',
      params: s.idParams,
      response: s.message,
      handler: async ({ params, principal }) => {
        assertMayTouch(identity, principal!, await userOrNotFound(params.id))
        await identity.users.delete(params.id)
        return 'User deleted successfully'
      },
    }),

    defineRoute({
      method: 'DELETE',
      path: '/users/:id/mfa',
      summary: "Reset a user's MFA (for a lost authenticator); needs users:reset_mfa (extension)",
      tags: ['users'],
      permission: 'users:reset_mfa',
      resource: 'users/:id/mfa',
      action: 'reset_mfa',
      audit: 'user.mfa_reset',
      params: s.idParams,
      response: s.message,
      handler: async ({ params, principal }) => {
        assertMayTouch(identity, principal!, await userOrNotFound(params.id))
        await identity.mfa.reset(params.id)
        return 'MFA reset'
      },
    }),

    defineRoute({
      method: 'GET',
      path: '/roles',
      summary: 'List roles, built-in and custom (extension)',
      tags: ['roles'],
      permission: 'roles:read',
      resource: 'roles',
      action: 'read',
      response: s.roleView.array(),
      handler: async () => (await identity.roles.list()).map(roleView),
    }),
    defineRoute({
      method: 'POST',
      path: '/roles',
      summary: 'Create a custom role (extension)',
      tags: ['roles'],
      status: 201,
      permission: 'roles:create',
      resource: 'roles',
      action: 'create',
      audit: 'role.create',
      body: s.createRoleBody,
      response: s.roleView,
      handler: async ({ body, audit: note }) => {
        const role = await identity.roles.create(body)
        note.resource = `roles/${role.name}`
        return roleView(role)
      },
    }),

    defineRoute({
      method: 'GET',
      path: '/policies',
      summary: 'List policies',
      tags: ['policies'],
      permission: 'policies:read',
      resource: 'policies',
      action: 'read',
      query: s.policyListQuery,
      response: s.policyView.array(),
      handler: async ({ query, ...context }) => pageAnswer(await policies.list(query), query, context, policyView),
    }),
    defineRoute({
      method: 'POST',
      path: '/policies',
      summary: 'Create a policy; an invalid condition is refused with 422',
      tags: ['policies'],
      status: 201,
      permission: 'policies:create',
      resource: 'policies',
      action: 'create',
      audit: 'policy.create',
      query: s.policyWriteQuery,
      body: s.createPolicyBody,
      response: s.createdPolicy,
      handler: async ({ body, query, principal, ip, audit: note }) => {
        if (!query.force) await assertKeepsPolicyAccess(policies, principal!, body, ip)
        const policy = await policies.create(body)
        note.resource = `policies/${policy.id}`
        note.details = { name: policy.name, ...(query.force ? { forced: true } : {}) }
        return { id: policy.id, name: policy.name, version: policy.version }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/policies/:id',
      summary: 'Get a policy (extension)',
      tags: ['policies'],
      permission: 'policies:read',
      resource: 'policies/:id',
      action: 'read',
      params: s.idParams,
      response: s.policyView,
      handler: async ({ params }) => {
        const policy = await policies.get(params.id)
        if (!policy) throw new ApiError(404, `Policy ${params.id} not found`)
        return policyView(policy)
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/policies/:id',
      summary: 'Update a policy',
      tags: ['policies'],
      permission: 'policies:update',
      resource: 'policies/:id',
      action: 'update',
      audit: 'policy.update',
      params: s.idParams,
      query: s.policyWriteQuery,
      body: s.updatePolicyBody,
      response: s.message,
      handler: async ({ params, body, query, principal, ip, audit: note }) => {
        const current = await policies.get(params.id)
        if (!current) throw new ApiError(404, `Policy ${params.id} not found`)
        if (!query.force) await assertKeepsPolicyAccess(policies, principal!, { ...current, ...body }, ip)
        await policies.update(params.id, body)
        note.details = { fields: Object.keys(body), ...(query.force ? { forced: true } : {}) }
        return 'Policy updated successfully'
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/policies/:id',
      summary: 'Delete a policy (extension)',
      tags: ['policies'],
      permission: 'policies:delete',
      resource: 'policies/:id',
      action: 'delete',
      audit: 'policy.delete',
      params: s.idParams,
      response: s.message,
      handler: async ({ params }) => {
        await policies.delete(params.id)
        return 'Policy deleted successfully'
      },
    }),

    defineRoute({
      method: 'GET',
      path: '/audit/logs',
      summary: 'Query the audit log, newest first',
      tags: ['audit'],
      permission: 'audit:read',
      resource: 'audit/logs',
      action: 'read',
      query: s.auditQuery,
      response: s.auditEntryView.array(),
      handler: async ({ query, ...context }) => pageAnswer(await audit.query(query), query, context, auditView),
    }),
  ]
}
