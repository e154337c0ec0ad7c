// Identity
export { createIdentity } from './identity'
export type { SecretBox } from './secrets'
export type { Identity, IdentityOptions, LockoutOptions, MfaStepUp, Principal, Role, TokenPair, User, UserInput, UserPatch, UserQuery } from './types'

// Errors
export { AuthError, IdentityError } from './errors'
export type { AuthErrorCode, IdentityErrorCode } from './errors'

// Permissions
export { builtInRoles, normalizeRoleName, permissions, resolvePermission, surfacePermissions, toCanonicalPermission } from './permissions'
export type { BuiltInRole, CanonicalPermission, Surface } from './permissions'
