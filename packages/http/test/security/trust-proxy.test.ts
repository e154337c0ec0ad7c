import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, loadServeConfig } from '../../src/config/load'
import { createClientIpResolver } from '../../src/middleware/client-ip'
import { startControlCenter, type TestServer } from '../helpers'

const headers = (entries: Record<string, string>) => new Headers(entries)

describe('client address behind proxies', () => {
  it('without trustProxy the forwarding headers are ignored', () => {
    expect(createClientIpResolver(undefined)('10.0.0.2', headers({ 'x-forwarded-for': '203.0.113.7' }))).toBe('10.0.0.2')
  })

  it('with hops, the entry that many places left of the socket peer is the client, whatever the client prepended', () => {
    const oneHop = createClientIpResolver(1)
    expect(oneHop('10.0.0.2', headers({ 'x-forwarded-for': '203.0.113.7' }))).toBe('203.0.113.7')
    expect(oneHop('10.0.0.2', headers({ 'x-forwarded-for': '198.51.100.1, 203.0.113.7' }))).toBe('203.0.113.7')
    expect(oneHop('10.0.0.2', headers({}))).toBe('10.0.0.2')
    expect(createClientIpResolver(2)('10.0.0.2', headers({ 'x-forwarded-for': '198.51.100.1, 203.0.113.7, 10.0.0.9' }))).toBe('203.0.113.7')
  })

  it('with ranges, the rightmost address that is not a trusted proxy is the client', () => {
    const ranges = createClientIpResolver(['10.0.0.0/8', '::1'])
    expect(ranges('10.0.0.2', headers({ 'x-forwarded-for': '198.51.100.1, 203.0.113.7, 10.1.2.3' }))).toBe('203.0.113.7')
    expect(ranges('::1', headers({ 'x-forwarded-for': '203.0.113.7' }))).toBe('203.0.113.7')
    // A peer outside the ranges is the client itself, whatever it claims.
    expect(ranges('192.0.2.50', headers({ 'x-forwarded-for': '203.0.113.7' }))).toBe('192.0.2.50')
  })

  it('reads RFC 7239 Forwarded (quoted IPv6 with port), and does not believe entries that are not addresses', () => {
    const oneHop = createClientIpResolver(1)
    expect(oneHop('10.0.0.2', headers({ forwarded: 'for=198.51.100.1, for="[2001:db8::1]:4711";proto=https' }))).toBe('2001:db8::1')
    expect(oneHop('10.0.0.2', headers({ forwarded: 'for=192.0.2.60:8080' }))).toBe('192.0.2.60')
    expect(oneHop('10.0.0.2', headers({ 'x-forwarded-for': 'unknown' }))).toBe('10.0.0.2')
    expect(oneHop('10.0.0.2', headers({ 'x-forwarded-for': '<script>' }))).toBe('10.0.0.2')
  })

  it('trustProxy is read from PROVISIO_TRUST_PROXY (hops or ranges) and a bad range is a configuration error', () => {
    expect(loadServeConfig({ env: { PROVISIO_TRUST_PROXY: '2' }, cwd: '/nonexistent' }).config.trustProxy).toBe(2)
    // `provisio serve --trust-proxy` hands its value over as a flag, read the same way.
    expect(loadServeConfig({ flags: { trustProxy: '127.0.0.0/8' }, cwd: '/nonexistent' }).config.trustProxy).toEqual(['127.0.0.0/8'])
    expect(loadServeConfig({ env: { PROVISIO_TRUST_PROXY: '10.0.0.0/8, ::1' }, cwd: '/nonexistent' }).config.trustProxy).toEqual(['10.0.0.0/8', '::1'])
    expect(() => loadServeConfig({ env: { PROVISIO_TRUST_PROXY: '10.0.0.0/33' }, cwd: '/nonexistent' })).toThrow(ConfigError)
    expect(() => loadServeConfig({ env: { PROVISIO_TRUST_PROXY: 'proxy.example' }, cwd: '/nonexistent' })).toThrow(/trustProxy/)
  })
})

describe('control-center: rate limits and audit behind a trusted proxy', () => {
  let t: TestServer | undefined
  afterEach(async () => {
    await t?.close()
    t = undefined
  })

  const failedLogin = (server: TestServer, client: string) =>
    server.api('POST', '/auth/login', { body: { username: 'admin', password: 'wrong password' }, headers: { 'x-forwarded-for': client } })

  it('each forwarded client has its own login bucket, and the audit log names it', async () => {
    t = await startControlCenter({ rateLimits: { auth: 3 }, server: { trustProxy: ['127.0.0.0/8', '::1'] } })
    for (let i = 0; i < 3; i++) expect((await failedLogin(t, '203.0.113.7')).status).toBe(401)
    expect((await failedLogin(t, '203.0.113.7')).status).toBe(429)
    // Another user behind the same proxy is not held back by the first one's budget.
    expect((await failedLogin(t, '203.0.113.8')).status).toBe(401)
    const logs = await t.api('GET', '/audit/logs?action=auth.login&result=denied', { token: t.adminToken })
    expect(logs.body.data.map((entry: any) => entry.ip)).toEqual(expect.arrayContaining(['203.0.113.7', '203.0.113.8']))
  })

  it('without trustProxy a client cannot escape its bucket by inventing X-Forwarded-For', async () => {
    t = await startControlCenter({ rateLimits: { auth: 3 } })
    // The helper's own admin login spent one point of 127.0.0.1's budget.
    for (let i = 0; i < 2; i++) expect((await failedLogin(t, `203.0.113.${i}`)).status).toBe(401)
    expect((await failedLogin(t, '203.0.113.99')).status).toBe(429)
  })
})
