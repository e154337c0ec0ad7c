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

/** The audit log's own field limits; a caller-made value longer than these is cut, not refused. */
const maxResource = 500
const maxName = 200

/** Cuts a caller-supplied value (a path of any length) to `max` characters, marking the cut. */
function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`
}

/**
 * Writes one audit entry; a failing audit store is reported, not turned into a failed request.
 * Values the caller chose (path ids, user names) are cut to the log's limits first, so a request
 * with an oversized id is recorded like any other instead of escaping the log.
 */
export async function recordAudit(audit: AuditLog, entry: AuditRecordInput, onError: (error: unknown) => void): Promise<void> {
  try {
    const path = entry.details.path
    await audit.record({
      user_id: entry.userId === null ? null : clip(entry.userId, maxName),
      username: entry.username === null ? null : clip(entry.username, maxName),
      action: entry.action,
      resource: clip(entry.resource, maxResource),
      result: auditResult(entry.status),
      details: { ...entry.details, ...(typeof path === 'string' ? { path: clip(path, maxResource) } : {}), status: entry.status },
      ip: entry.ip,
      request_id: entry.requestId,
      surface: entry.surface,
    })
  } catch (error) {
    onError(error)
  }
}
