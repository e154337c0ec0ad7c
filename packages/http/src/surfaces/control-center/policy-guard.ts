import { createTimeOrderedId } from '../../identity/ids'
import type { Principal } from '../../identity'
import type { PolicyRule, PolicyStore } from '../../policies'
import { ApiError } from '../../platform/errors'

/**
 * Refuses a policy write that would deny its author the right to edit policies afterwards: a
 * deny-all written by mistake would otherwise lock every administrator out, leaving only the
 * break-glass command (`provisio policies disable`, with the server stopped). `?force=true` skips
 * the check. A new policy is probed under a fresh id, as only a pattern could name it yet.
 */
export async function assertKeepsPolicyAccess(
  policies: PolicyStore,
  principal: Principal,
  change: { id?: string; rules: PolicyRule[]; enabled?: boolean },
  ip: string,
): Promise<void> {
  const id = change.id ?? createTimeOrderedId(Date.now())
  const decision = await policies.preview(change, {
    user: { id: principal.userId, username: principal.username, roles: principal.roles },
    resource: `policies:${id}`,
    action: 'update',
    context: { ip, method: 'PUT', path: `/policies/${id}` },
  })
  if (decision === 'deny') {
    throw new ApiError(
      409,
      'Refused: this policy would deny you updating policies, so it could not be undone through the API; send ?force=true to apply it anyway',
    )
  }
}
