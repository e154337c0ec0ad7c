import type { Identity, Principal, User, UserPatch } from '../../identity'
import { ApiError } from '../../platform/errors'

function requirePermission(identity: Identity, principal: Principal, permission: string, why: string): void {
  if (!identity.can(principal, permission)) throw new ApiError(403, `Permission denied: ${permission} is required to ${why}`)
}

/** Roles may only be handed out by someone allowed to, and only within the giver's own rights. */
export function assertMayGiveRoles(identity: Identity, principal: Principal, roles: readonly string[]): void {
  requirePermission(identity, principal, 'users:assign_roles', 'change roles')
  if (!identity.covers(principal, roles)) {
    throw new ApiError(403, 'Permission denied: these roles grant permissions you do not hold')
  }
}

/** Nobody acts on an account holding a permission they lack: that would be a way into those rights. */
export function assertMayTouch(identity: Identity, principal: Principal, target: User): void {
  if (!identity.covers(principal, target.roles)) {
    throw new ApiError(403, 'Permission denied: this account holds permissions you do not hold')
  }
}

/**
 * What `PUT /users/{id}` needs beyond `users:update`: each sensitive field its own permission
 * (another user's password `users:reset_password`, enabling or disabling `users:disable`, roles
 * `users:assign_roles`), and an account within the caller's rights.
 */
export function assertMayUpdate(identity: Identity, principal: Principal, target: User, patch: UserPatch): void {
  assertMayTouch(identity, principal, target)
  if (patch.roles !== undefined) assertMayGiveRoles(identity, principal, patch.roles)
  if (patch.password !== undefined && target.id !== principal.userId) {
    requirePermission(identity, principal, 'users:reset_password', "set another user's password")
  }
  if (patch.enabled !== undefined) requirePermission(identity, principal, 'users:disable', 'enable or disable accounts')
}
