import { defineRoute, type RouteDefinition } from '../../../platform/types'
import type { AccountsKit } from './kit'
import { auditQuery } from './schemas'

/**
 * The platform's audit log (every surface writes it) in CloudLab's shape: what succeeded, newest
 * first. Refusals stay in the log for the control center's `/audit/logs`.
 */
export function auditRoutes(kit: AccountsKit): RouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/audit',
      summary: 'Audit log entries, newest first; `action` and `username` match exactly',
      tags: ['audit'],
      permission: 'system.audit_log',
      query: auditQuery,
      handler: async (ctx) => {
        const { page, per_page: perPage, action, username } = ctx.query
        const empty = { entries: [], total: 0, page, per_page: perPage }
        let userId: string | undefined
        if (username !== undefined) {
          const user = await kit.identity.users.getByUsername(username)
          if (!user) return empty
          userId = user.id
        }
        const { items, total } = await kit.context.deps.audit.query({
          user_id: userId,
          action,
          result: 'success',
          limit: perPage,
          offset: (page - 1) * perPage,
        })
        return {
          entries: items.map((entry) => ({
            id: entry.id,
            user_id: entry.user_id,
            username: entry.username,
            action: entry.action,
            resource: entry.resource,
            details: entry.details,
            ip_address: entry.ip,
            created_at: entry.timestamp,
            timestamp: entry.timestamp,
          })),
          total,
          page,
          per_page: perPage,
        }
      },
    }),
  ]
}
