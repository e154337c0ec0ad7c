import type { Identity, Principal } from '../identity'
import type { PolicyStore } from '../policies'
import { ApiError } from '../platform/errors'

export interface AuthorizeInput {
  identity: Identity
  /** Present on surfaces that evaluate control-center policies. */
  policies?: PolicyStore
  principal: Principal
  permission?: string
  /** Resolved resource with `/` separators (`users/42`); policies see `users:42`. */
  resource?: string
  action?: string
  context?: Record<string, unknown>
  /** The refusal's text; default `Permission denied: <permission> is required`. */
  permissionDenied?: (permission: string) => string
}

/** `users/42` → `users:42`, the form policy rules match with wildcards (`users:*`). */
export function policyResource(resource: string): string {
  return resource.replaceAll('/', ':')
}

/**
 * Decides whether the principal may run the route:
 * 1. a policy rule denying the resource/action wins over everything (403);
 * 2. a policy rule allowing it grants access even without the role permission;
 * 3. with no matching policy, the role permission (`identity.can`) decides.
 */
export async function authorize(input: AuthorizeInput): Promise<void> {
  const { identity, policies, principal, permission, resource, action } = input
  if (policies && resource && action) {
    const decision = await policies.evaluate({
      user: { id: principal.userId, username: principal.username, roles: principal.roles },
      resource: policyResource(resource),
      action,
      context: input.context,
    })
    if (decision === 'deny') throw new ApiError(403, `Access to ${action} on ${resource} is denied by policy`)
    if (decision === 'allow') return
  }
  if (permission && !identity.can(principal, permission)) {
    throw new ApiError(403, input.permissionDenied?.(permission) ?? `Permission denied: ${permission} is required`)
  }
}
