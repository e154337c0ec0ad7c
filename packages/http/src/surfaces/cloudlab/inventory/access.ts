import type { Identity, Principal } from '../../../identity'
import { ApiError } from '../../../platform/errors'
import type { CloudlabRoleIds } from '../context'
import type { InventoryObject, InventoryStore } from './store'

export interface InventoryAccess {
  /** Type-level checks (list, create, sync, type actions): the wildcard, then the role permission. */
  type(principal: Principal, slug: string, permission: string): boolean
  /** The reference's object check (§4): wildcard, ACL deny, ACL allow, tag permission, role permission. */
  object(principal: Principal, object: InventoryObject, permission: string): Promise<boolean>
}

/** CloudLab's inventory routes refuse with a bare `Permission denied`. */
export const permissionDenied = () => new ApiError(403, 'Permission denied')

export function createInventoryAccess(deps: { identity: Identity; store: InventoryStore; roleIds: CloudlabRoleIds }): InventoryAccess {
  const { identity, store, roleIds } = deps
  const rolePermission = (principal: Principal, slug: string, permission: string) => identity.can(principal, `inventory.${slug}.${permission}`)

  return {
    type: (principal, slug, permission) => identity.can(principal, '*') || rolePermission(principal, slug, permission),

    async object(principal, object, permission) {
      if (identity.can(principal, '*')) return true
      if (principal.roles.length === 0) return rolePermission(principal, object.type, permission)
      const held = new Set(await Promise.all(principal.roles.map((role) => roleIds.idOf(role))))
      const rules = (await store.aclRules(object.id)).filter((rule) => held.has(rule.role_id) && rule.permission === permission)
      if (rules.some((rule) => rule.effect === 'deny')) return false
      if (rules.some((rule) => rule.effect === 'allow')) return true
      for (const tagId of object.tag_ids) {
        const grants = await store.tagPermissions(tagId)
        if (grants.some((grant) => held.has(grant.role_id) && grant.permission === permission)) return true
      }
      return rolePermission(principal, object.type, permission)
    },
  }
}
