import type { AuditLog } from '../audit'

export interface AuditRecordInput {
  action: string
  resource: string
  status: number
  userId: string | null
  username: string | null
  ip: string
  requestId: string
  surface: string
  details: Record<string, unknown>
}

/** 401 and 403 are refusals (`denied`); other errors are `failure`. */
export function auditResult(status: number): 'success' | 'failure' | 'denied' {
  if (status < 400) return 'success'
  return status === 401 || status === 403 ? 'denied' : 'failure'
}

/** Writes one audit entry; a failing audit store is reported, not turned into a failed request. */
export async function recordAudit(audit: AuditLog, entry: AuditRecordInput, onError: (error: unknown) => void): Promise<void> {
  try {
    await audit.record({
      user_id: entry.userId,
      username: entry.username,
      action: entry.action,
      resource: entry.resource,
      result: auditResult(entry.status),
      details: { ...entry.details, status: entry.status },
      ip: entry.ip,
      request_id: entry.requestId,
      surface: entry.surface,
    })
  } catch (error) {
    onError(error)
  }
}
