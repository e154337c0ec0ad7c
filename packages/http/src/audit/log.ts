import { createTimeOrderedId, timeOfId } from '../identity/ids'
import { lastSegment } from '../identity/keys'
import { pageOf } from '../identity/paging'
import { matchWildcard, maxWildcardPatternLength } from '../identity/wildcard'
import { AuditError } from './errors'
import { redactSecrets } from './redact'
import type { AuditEntry, AuditLog, AuditLogOptions } from './types'

const results: ReadonlySet<string> = new Set(['success', 'failure', 'denied'])

/**
 * Entries are kept at `audit:entries:<id>`, ids being UUIDv7 of the entry's time, so key
 * names alone give the time order and the time range: a page reads only its own entries.
 * `audit:users:<user id>:<id>` indexes them by user.
 */
const keys = {
  entries: 'audit:entries',
  entry: (id: string) => `audit:entries:${id}`,
  userEntries: (userId: string) => `audit:users:${Buffer.from(userId).toString('base64url')}`,
  userEntry: (userId: string, id: string) => `audit:users:${Buffer.from(userId).toString('base64url')}:${id}`,
}

function optionalString(value: unknown, field: string, max = 500): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || value.length > max) throw new AuditError(`${field} must be a string of at most ${max} characters`)
  return value
}

function requiredString(value: unknown, field: string, max = 500): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new AuditError(`${field} must be a non-empty string of at most ${max} characters`)
  }
  return value
}

function timeOf(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === '') return undefined
  const time = Date.parse(value)
  if (Number.isNaN(time)) throw new AuditError(`${field} must be an ISO 8601 date`)
  return time
}

export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { storage } = options
  const now = options.now ?? Date.now

  async function read(ids: string[]) {
    const entries = await Promise.all(ids.map((id) => storage.getItem<AuditEntry>(keys.entry(id))))
    return entries.filter((entry): entry is AuditEntry => !!entry)
  }

  return {
    async record(input) {
      const time = timeOf(input?.timestamp, 'timestamp') ?? now()
      const id = createTimeOrderedId(time)
      const result = input.result
      if (!results.has(result)) throw new AuditError('result must be success, failure or denied')
      const details = input.details ?? {}
      if (typeof details !== 'object' || Array.isArray(details)) throw new AuditError('details must be an object')
      const entry: AuditEntry = {
        id,
        timestamp: new Date(time).toISOString(),
        user_id: optionalString(input.user_id, 'user_id', 200),
        username: optionalString(input.username, 'username', 200),
        action: requiredString(input.action, 'action', 200),
        resource: requiredString(input.resource, 'resource'),
        result,
        details: redactSecrets(details) as Record<string, unknown>,
        ip: optionalString(input.ip, 'ip', 100),
      }
      const requestId = optionalString(input.request_id, 'request_id', 200)
      if (requestId !== null) entry.request_id = requestId
      const surface = optionalString(input.surface, 'surface', 50)
      if (surface !== null) entry.surface = surface
      // The entry and its user index are independent keys: written together, not one after the other.
      if (entry.user_id === null) await storage.setItem(keys.entry(id), entry)
      else await Promise.all([storage.setItem(keys.entry(id), entry), storage.setItem(keys.userEntry(entry.user_id, id), 1)])
      return entry
    },

    async query(q = {}) {
      const { limit, offset } = pageOf(q)
      const action = optionalString(q.action, 'action', maxWildcardPatternLength) ?? undefined
      const resource = optionalString(q.resource, 'resource', maxWildcardPatternLength) ?? undefined
      const from = timeOf(q.from, 'from') ?? Number.NEGATIVE_INFINITY
      const to = timeOf(q.to, 'to') ?? Number.POSITIVE_INFINITY
      const base = q.user_id ? keys.userEntries(q.user_id) : keys.entries
      const ids = (await storage.getKeys(base))
        .map(lastSegment)
        .filter((id) => {
          const time = timeOfId(id)
          return time >= from && time <= to
        })
        .sort()
        .reverse()
      const filtered = action !== undefined || resource !== undefined || q.result !== undefined
      if (!filtered) return { items: await read(ids.slice(offset, offset + limit)), total: ids.length }
      // These filters need the entries themselves; read them all in the (already narrowed) range.
      const matching = (await read(ids)).filter(
        (entry) =>
          (action === undefined || matchWildcard(action, entry.action)) &&
          (resource === undefined || matchWildcard(resource, entry.resource)) &&
          (q.result === undefined || entry.result === q.result),
      )
      return { items: matching.slice(offset, offset + limit), total: matching.length }
    },
  }
}
