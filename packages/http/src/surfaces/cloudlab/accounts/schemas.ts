import { z } from 'zod'

// FastAPI prefixes the messages of custom validators with "Value error, " (reference §1).
const usernamePattern = /^[a-zA-Z0-9_]{3,30}$/
const emailPattern = /^[^@\s]+@[^@\s]+\.[^@\s]+$/

export const username = z.string().regex(usernamePattern, 'Value error, Username must be 3-30 alphanumeric characters or underscores')
export const password = z
  .string()
  .min(8, 'Value error, Password must be at least 8 characters')
  .max(1024, 'Value error, Password must be at most 1024 characters')
const newPassword = z
  .string()
  .min(8, 'Value error, New password must be at least 8 characters')
  .max(1024, 'Value error, New password must be at most 1024 characters')
export const email = z
  .string()
  .trim()
  .regex(emailPattern, 'Value error, Invalid email address')
  .max(254)
  .transform((value) => value.toLowerCase())
const displayName = z.string().trim().max(100, 'Value error, Display name must be at most 100 characters')
/** The UI's profile and edit forms send `""` for a user without an address: that clears it. */
const emailOrNone = z.union([z.literal('').transform(() => null), email])

export const setupBody = z.object({
  username,
  password,
  // The UI leaves it out when the field is empty.
  vault_password: z.string().max(1024).optional(),
})

export const loginBody = z.object({ username: z.string().max(200), password: z.string().max(1024) })

export const profileBody = z.object({ display_name: displayName.optional(), email: emailOrNone.optional() })

export const changePasswordBody = z.object({ current_password: z.string().max(1024), new_password: newPassword })

/** 64 URL-safe characters; anything else cannot be a token we issued. */
export const oneTimeToken = z.string().min(1).max(200)

/** The real backend's `{token, password, display_name?}`; the UI also sends `username`, which is ignored. */
export const acceptInviteBody = z.object({ token: oneTimeToken, password, display_name: displayName.optional(), username: z.string().optional() })

/** Seed 001's `POST /api/auth/invite/{token}` body. */
export const acceptInviteByPathBody = z.object({ password, display_name: displayName.optional() })

export const forgotPasswordBody = z.object({ email: z.string().max(254) })

/** The UI posts `new_password`; the code reads `password`: either is accepted. */
export const resetPasswordBody = z
  .object({ token: oneTimeToken, password: password.optional(), new_password: password.optional() })
  .refine((body) => body.password !== undefined || body.new_password !== undefined, { message: 'Field required', path: ['password'] })
  .transform((body) => ({ token: body.token, password: (body.password ?? body.new_password)! }))

export const resetByPathBody = z
  .object({ password: password.optional(), new_password: password.optional() })
  .refine((body) => body.password !== undefined || body.new_password !== undefined, { message: 'Field required', path: ['password'] })
  .transform((body) => ({ password: (body.password ?? body.new_password)! }))

export const tokenParams = z.object({ token: oneTimeToken })

const roleId = z.number().int().positive()

/** The UI sends one `role_id`; the code reads `role_ids`. */
export const inviteBody = z
  .object({
    username,
    email,
    display_name: displayName.optional(),
    role_ids: z.array(roleId).max(50).optional(),
    role_id: roleId.nullish(),
  })
  .transform(({ role_id, role_ids, ...rest }) => ({ ...rest, role_ids: role_ids ?? (role_id ? [role_id] : []) }))

export const userParams = z.object({ id: z.string().min(1).max(100) })

export const usersQuery = z.object({
  search: z.string().max(200).optional(),
  page: z.coerce.number().int().min(1).optional(),
  per_page: z.coerce.number().int().min(1).max(200).optional(),
})

export const userUpdateBody = z.object({ display_name: displayName.optional(), email: emailOrNone.optional(), is_active: z.boolean().optional() })

export const assignRolesBody = z.object({ role_ids: z.array(roleId).max(50) })

export const roleParams = z.object({ id: z.coerce.number().int().positive() })

const roleName = z.string().trim().min(2, 'Value error, Role name must be 2-50 characters').max(50, 'Value error, Role name must be 2-50 characters')
const permissionIds = z.array(z.number().int().positive()).max(1000)

export const roleCreateBody = z.object({ name: roleName, description: z.string().max(500).optional(), permission_ids: permissionIds.default([]) })

export const roleUpdateBody = z.object({ name: roleName.optional(), description: z.string().max(500).optional(), permission_ids: permissionIds.optional() })

export const auditQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(200).default(50),
  action: z.string().max(200).optional(),
  username: z.string().max(200).optional(),
})
