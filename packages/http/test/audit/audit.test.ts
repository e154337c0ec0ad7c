import { createStorage, type Storage } from 'unstorage'
import { describe, expect, it } from 'vitest'
import { AuditError, createAuditLog, type AuditInput } from '../../src/audit'

function entry(overrides: Partial<AuditInput> = {}): AuditInput {
  return {
    user_id: 'u1',
    username: 'alice',
    action: 'server.create',
    resource: 'servers/web-01',
    result: 'success',
    details: {},
    ip: '127.0.0.1',
    ...overrides,
  }
}

/** Counts the entry records read, to show that a page reads only its own entries. */
function countingReads(storage: Storage) {
  const reads: string[] = []
  const getItem = storage.getItem.bind(storage)
  storage.getItem = ((key: string, ...rest: never[]) => {
    reads.push(key)
    return getItem(key, ...rest)
  }) as Storage['getItem']
  return reads
}

describe('audit log', () => {
  it('records an entry with an id and a timestamp, one key each', async () => {
    const storage = createStorage()
    const log = createAuditLog({ storage, now: () => Date.parse('2025-09-26T10:00:00Z') })
    const recorded = await log.record(entry({ request_id: 'req-1', surface: 'control-center', details: { name: 'web-01' } }))
    expect(recorded).toMatchObject({
      timestamp: '2025-09-26T10:00:00.000Z',
      action: 'server.create',
      result: 'success',
      request_id: 'req-1',
      surface: 'control-center',
      details: { name: 'web-01' },
    })
    expect(recorded.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(await storage.getItem(`audit:entries:${recorded.id}`)).toEqual(recorded)
  })

  it('never stores secrets given in details', async () => {
    const storage = createStorage()
    const log = createAuditLog({ storage })
    const recorded = await log.record(
      entry({ action: 'user.create', details: { username: 'bob', password: 'hunter22', nested: { refresh_token: 'abc', mfa_code: '123456' } } }),
    )
    expect(recorded.details).toEqual({ username: 'bob', password: '[redacted]', nested: { refresh_token: '[redacted]', mfa_code: '[redacted]' } })
    expect(JSON.stringify(await storage.getItem(`audit:entries:${recorded.id}`))).not.toContain('hunter22')
  })

  it('refuses malformed entries', async () => {
    const log = createAuditLog({ storage: createStorage() })
    await expect(log.record(entry({ result: 'maybe' as 'success' }))).rejects.toBeInstanceOf(AuditError)
    await expect(log.record(entry({ action: '' }))).rejects.toThrow('action')
    await expect(log.record(entry({ timestamp: 'yesterday' }))).rejects.toMatchObject({ status: 422 })
  })

  it('answers newest first with paging and reads only the page', async () => {
    const storage = createStorage()
    const log = createAuditLog({ storage })
    const start = Date.parse('2025-09-26T10:00:00Z')
    for (let index = 0; index < 30; index++) {
      await log.record(entry({ timestamp: new Date(start + index * 60_000).toISOString(), details: { index } }))
    }
    const reads = countingReads(storage)
    const page = await log.query({ limit: 5, offset: 10 })
    expect(page.total).toBe(30)
    expect(page.items.map((item) => item.details.index)).toEqual([19, 18, 17, 16, 15])
    expect(reads).toHaveLength(5)
    expect((await log.query()).items).toHaveLength(30)
    expect((await log.query({ limit: 5000 })).items).toHaveLength(30)
  })

  it('keeps the order of entries recorded in the same millisecond', async () => {
    const log = createAuditLog({ storage: createStorage(), now: () => 1_000 })
    for (let index = 0; index < 20; index++) await log.record(entry({ details: { index } }))
    const { items } = await log.query()
    expect(items.map((item) => item.details.index)).toEqual([...Array(20).keys()].reverse())
  })

  it('filters by user, action, resource, result and time range', async () => {
    const log = createAuditLog({ storage: createStorage() })
    const at = (minute: number) => new Date(Date.parse('2025-09-26T10:00:00Z') + minute * 60_000).toISOString()
    await log.record(entry({ timestamp: at(0), action: 'login', resource: 'auth', result: 'failure', user_id: null, username: 'bob' }))
    await log.record(entry({ timestamp: at(1), action: 'login', resource: 'auth' }))
    await log.record(entry({ timestamp: at(2), action: 'user.create', resource: 'users/u2' }))
    await log.record(entry({ timestamp: at(3), action: 'server.create', resource: 'servers/web-01', user_id: 'u2', username: 'bob' }))
    await log.record(entry({ timestamp: at(4), action: 'server.delete', resource: 'servers/web-01', result: 'denied', user_id: 'u2', username: 'bob' }))

    const actions = async (query: Parameters<typeof log.query>[0]) => (await log.query(query)).items.map((item) => item.action)
    expect(await actions({ user_id: 'u2' })).toEqual(['server.delete', 'server.create'])
    expect(await actions({ action: 'login' })).toEqual(['login', 'login'])
    expect(await actions({ action: 'server.*' })).toEqual(['server.delete', 'server.create'])
    expect(await actions({ resource: 'servers/web-01', result: 'denied' })).toEqual(['server.delete'])
    expect(await actions({ result: 'failure' })).toEqual(['login'])
    expect(await actions({ from: at(1), to: at(3) })).toEqual(['server.create', 'user.create', 'login'])
    expect(await actions({ user_id: 'u1', from: at(2) })).toEqual(['user.create'])
    const filteredPage = await log.query({ action: '*.create', limit: 1, offset: 1 })
    expect(filteredPage.total).toBe(2)
    expect(filteredPage.items.map((item) => item.action)).toEqual(['user.create'])
    await expect(log.query({ from: 'not a date' })).rejects.toThrow('from must be an ISO 8601 date')
  })
})
