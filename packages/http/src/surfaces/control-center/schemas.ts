import { z } from 'zod'
import { paginationQuery } from '../../middleware/pagination'
import { hasUnsafeCharacters } from '../../identity/text'
import { maxWildcardPatternLength } from '../../identity/wildcard'

/** `true`/`false` (also `1`/`0`) in a query string; zod's `coerce.boolean` would read "false" as true. */
const queryBoolean = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1')

const isoDate = z.iso.datetime({ offset: true }).describe('ISO 8601 date and time')

/** Names people read (users, roles, policies): see `hasUnsafeCharacters`. */
const safeText = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((value) => !hasUnsafeCharacters(value), 'must not contain control characters or bidirectional controls')

export const idParams = z.object({ id: z.string().min(1).max(200).describe('Identifier') })

// Authentication

export const loginBody = z.object({
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(1024),
  mfa_code: z
    .string()
    .regex(/^\d{6}$/, 'a 6-digit code')
    .optional()
    .describe('TOTP code, required once MFA is enabled'),
})

export const userSummary = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  roles: z.array(z.string()),
})

export const loginResponse = z.object({
  token: z.string().describe('JWT access token'),
  expires_at: z.string(),
  refresh_token: z.string().describe('Extension: refresh token for POST /auth/refresh {"refresh_token"}'),
  refresh_expires_at: z.string(),
  user: userSummary,
})

export const refreshBody = z
  .object({
    token: z.string().min(1).optional().describe('The current access token (documented form): exchanged for a new one'),
    refresh_token: z.string().min(1).optional().describe('Extension: a refresh token, rotated on use'),
  })
  .refine((body) => (body.token === undefined) !== (body.refresh_token === undefined), {
    message: 'Send exactly one of "token" or "refresh_token"',
  })

export const refreshResponse = z.object({
  token: z.string(),
  expires_at: z.string(),
  refresh_token: z.string().optional(),
  refresh_expires_at: z.string().optional(),
})

export const logoutBody = z.object({ refresh_token: z.string().min(1).optional().describe('Also revoke this refresh token and its family') }).optional()

export const mfaEnrollResponse = z.object({ secret: z.string(), otpauth_url: z.string() })
export const mfaCodeBody = z.object({ code: z.string().regex(/^\d{6}$/, 'a 6-digit code') })

/** The step-up proof MFA changes need once MFA is on: a current code or the password. */
export const mfaStepUpBody = z
  .object({
    code: z
      .string()
      .regex(/^\d{6}$/, 'a 6-digit code')
      .optional()
      .describe('A current TOTP code'),
    password: z.string().min(1).max(1024).optional().describe('The account password, instead of a code'),
  })
  .strict()
  .optional()

// Users

export const userView = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  roles: z.array(z.string()),
  enabled: z.boolean(),
  mfa_enabled: z.boolean(),
  created_at: z.string(),
  last_login: z.string().nullable(),
})

export const userListQuery = paginationQuery.extend({
  role: z.string().min(1).max(100).optional().describe('Only users holding this role'),
  enabled: queryBoolean.optional().describe('Only enabled (true) or disabled (false) users'),
})

const roleName = z.string().min(1).max(100)

export const createUserBody = z.object({
  username: safeText(1, 100),
  email: z.email().nullable().optional(),
  password: z.string().min(8).max(1024),
  roles: z.array(roleName).max(50).optional(),
  enabled: z.boolean().optional(),
})

export const createdUser = userView.pick({ id: true, username: true, email: true, roles: true, enabled: true })

export const updateUserBody = z
  .object({
    email: z.email().nullable().optional(),
    roles: z.array(roleName).max(50).optional(),
    enabled: z.boolean().optional(),
    password: z.string().min(8).max(1024).optional(),
  })
  .strict()

// Roles

export const roleView = z.object({
  name: z.string(),
  description: z.string(),
  permissions: z.array(z.string()),
  built_in: z.boolean(),
})

export const createRoleBody = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, _ and -'),
  description: safeText(0, 500).optional(),
  permissions: z.array(z.string().min(1).max(200)).max(500),
})

// Policies

export const policyRule = z.object({
  effect: z.enum(['Allow', 'Deny', 'allow', 'deny']).transform((effect) => (effect.toLowerCase() === 'allow' ? ('Allow' as const) : ('Deny' as const))),
  resource: safeText(1, maxWildcardPatternLength).describe('Resource pattern, `*` wildcards (`servers:*`)'),
  action: z
    .union([safeText(1, 200), z.array(safeText(1, 200)).min(1).max(100)])
    .transform((action) => (Array.isArray(action) ? action : [action]))
    .describe('Action or list of actions, `*` for any'),
  condition: z.string().max(2000).optional().describe("Condition such as user.role == 'admin'"),
})

export const policyView = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  rules: z.array(z.object({ effect: z.enum(['Allow', 'Deny']), resource: z.string(), action: z.array(z.string()), condition: z.string().optional() })),
  enabled: z.boolean(),
  created_at: z.string(),
})

export const policyListQuery = paginationQuery.extend({
  enabled: queryBoolean.optional(),
})

export const createPolicyBody = z.object({
  name: safeText(1, 100),
  version: safeText(1, 50).optional(),
  rules: z.array(policyRule).max(200),
  enabled: z.boolean().optional(),
})

/** `?force=true` writes a policy even when it would deny its author editing policies. */
export const policyWriteQuery = z.object({
  force: queryBoolean.optional().describe('Apply even if the policy denies you updating policies (recover with `provisio policies disable`)'),
})

export const createdPolicy = policyView.pick({ id: true, name: true, version: true })

export const updatePolicyBody = z
  .object({
    name: safeText(1, 100).optional(),
    version: safeText(1, 50).optional(),
    rules: z.array(policyRule).max(200).optional(),
    enabled: z.boolean().optional(),
  })
  .strict()

// Audit

export const auditQuery = paginationQuery.extend({
  user_id: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(maxWildcardPatternLength).optional().describe('Exact, or a pattern with `*`'),
  resource: z.string().min(1).max(maxWildcardPatternLength).optional().describe('Exact, or a pattern with `*`'),
  result: z.enum(['success', 'failure', 'denied']).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
})

export const auditEntryView = z.object({
  id: z.string(),
  timestamp: z.string(),
  user_id: z.string().nullable(),
  username: z.string().nullable(),
  action: z.string(),
  resource: z.string(),
  result: z.enum(['success', 'failure', 'denied']),
  details: z.record(z.string(), z.unknown()),
  ip: z.string().nullable(),
})

// Health

export const healthView = z.object({
  status: z.literal('healthy'),
  surface: z.string(),
  version: z.string(),
  sandbox: z.boolean().describe('True when at least one provider runs against a local stand-in instead of the real service'),
  providers: z.array(
    z.object({ name: z.string(), mode: z.enum(['sandbox', 'live', 'unavailable']), endpoint: z.string().optional(), reason: z.string().optional() }),
  ),
  uptime_seconds: z.number(),
})

export const message = z.string()
