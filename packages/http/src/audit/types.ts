import type { Storage } from 'unstorage'

export type AuditResult = 'success' | 'failure' | 'denied'

export interface AuditEntry {
  id: string
  timestamp: string
  user_id: string | null
  username: string | null
  /** Dotted verb, as CloudLab names them: `login`, `user.create`, `server.create`. */
  action: string
  /** What was acted on: `servers/web-01`, `users/<id>`. */
  resource: string
  result: AuditResult
  details: Record<string, unknown>
  ip: string | null
  request_id?: string
  surface?: string
}

export type AuditInput = Omit<AuditEntry, 'id' | 'timestamp'> & { timestamp?: string }

export interface AuditQuery {
  user_id?: string
  /** Exact, or a pattern with `*` (`user.*`). */
  action?: string
  /** Exact, or a pattern with `*` (`servers/*`). */
  resource?: string
  result?: string
  /** ISO 8601; both ends included. */
  from?: string
  to?: string
  /** Default 50, at most 1000. */
  limit?: number
  offset?: number
}

export interface AuditLogOptions {
  storage: Storage
  now?: () => number
}

export interface AuditLog {
  /** Secrets in `details` (passwords, tokens, MFA codes) are replaced by `[redacted]` before storing. */
  record(entry: AuditInput): Promise<AuditEntry>
  /** Newest first. */
  query(q?: AuditQuery): Promise<{ items: AuditEntry[]; total: number }>
}
