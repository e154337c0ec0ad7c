import { createServer as createNodeServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toNodeHandler } from 'h3/node'
import { createEngine, type Engine } from '@provisio/engine'
import { createStorage } from 'unstorage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { controlCenter } from '../../src'
import { createIdentity } from '../../src/identity'

describe('controlCenter(): the surface mounted in your own Node server', () => {
  let engine: Engine
  let server: Server
  let base: string
  beforeAll(async () => {
    const storage = createStorage()
    engine = createEngine({ storage })
    await engine.start()
    await createIdentity({ storage }).bootstrapAdmin({ username: 'admin', password: 'mounted-password' })
    // Identity, policies and the audit log are created over engine.storage.
    server = createNodeServer(toNodeHandler(controlCenter({ engine })))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
    await engine.stop({ graceMs: 0 })
  })

  it('answers health, login and an authenticated list with the envelope', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200)
    const login = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'mounted-password' }),
    })
    const { data } = (await login.json()) as any
    const users = await fetch(`${base}/users`, { headers: { authorization: `Bearer ${data.token}` } })
    expect(users.status).toBe(200)
    expect(((await users.json()) as any).data.map((user: any) => user.username)).toEqual(['admin'])
    expect(users.headers.get('x-ratelimit-limit')).toBe('100')
    const logs = await fetch(`${base}/audit/logs?action=auth.login`, { headers: { authorization: `Bearer ${data.token}` } })
    expect(((await logs.json()) as any).data).toHaveLength(1)
  })
})
