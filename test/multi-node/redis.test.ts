import { createStorage } from 'unstorage'
import redisDriver from 'unstorage/drivers/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createEngine, defineProvider } from '@provisio/engine'
import { startRedis } from '../helpers/redis'
import { startServeNode } from '../helpers/serve-node'
import { describeWithTool } from '../helpers/system-tools'

const echo = defineProvider({
  name: 'echo',
  actions: {
    say: {
      input: z.object({ words: z.array(z.string()) }),
      run: (ctx, input) => {
        for (const word of input.words) ctx.log(word)
        return { count: input.words.length }
      },
    },
  },
})

describeWithTool('redis-server')('on a real redis-server', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    await redis?.stop()
  })

  describe('redis storage', () => {
    it('runs the engine unchanged on redis, and a second engine on the same redis sees every job and its output', async () => {
      const base = `test-${process.pid}-${Date.now()}`
      const firstStorage = createStorage({ driver: redisDriver({ url: redis.url, base }) })
      const first = createEngine({ storage: firstStorage, providers: [echo] })
      await first.start()
      const jobs = []
      for (let n = 0; n < 5; n++)
        jobs.push(await first.jobs.submit({ provider: 'echo', action: 'say', input: { words: [`hello ${n}`, 'bye'] }, labels: { n: String(n) } }))
      for (const job of jobs) expect((await first.jobs.wait(job.id)).status).toBe('completed')
      await first.stop()
      await firstStorage.dispose()

      const secondStorage = createStorage({ driver: redisDriver({ url: redis.url, base }) })
      const second = createEngine({ storage: secondStorage, providers: [echo] })
      await second.start()
      try {
        const page = await second.jobs.list({ status: 'completed', order: 'asc' })
        expect(page.total).toBe(5)
        expect(page.items.map((job) => job.labels.n)).toEqual(['0', '1', '2', '3', '4'])
        expect((await second.jobs.list({ label: 'n=3' })).items[0].result).toEqual({ count: 2 })
        const lines = []
        for await (const { line } of second.jobs.output(jobs[2].id)) lines.push(line)
        expect(lines).toEqual(['hello 2', 'bye'])
      } finally {
        await second.stop()
        await secondStorage.dispose()
      }
    })
  })

  /** A node serving the control-center surface; `url` is its base URL. */
  async function startNode(id: string, redisUrl: string, env: Record<string, string> = {}) {
    const node = await startServeNode({ id, redisUrl, surfaces: ['control-center'], env })
    return { ...node, url: node.urls['control-center'] }
  }

  describe('two server nodes on one redis', () => {
    it('share users, sign-in and revocation', async () => {
      const a = await startNode('node-a', redis.url, { PROVISIO_ADMIN_PASSWORD: 'correct horse battery' })
      const b = await startNode('node-b', redis.url)
      try {
        const login = await fetch(`${a.url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: 'correct horse battery' }),
        })
        expect(login.status).toBe(200)
        const { data } = (await login.json()) as { data: { token: string } }
        const auth = { authorization: `Bearer ${data.token}`, 'content-type': 'application/json' }

        // A token from node A works on node B, and what B writes A reads.
        const created = await fetch(`${b.url}/users`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ username: 'ops', email: 'ops@example.test', password: 'another good pass', roles: ['operator'] }),
        })
        expect(created.status).toBe(201)
        const listed = (await (await fetch(`${a.url}/users`, { headers: auth })).json()) as { data: Array<{ username: string }> }
        expect(listed.data.map((user) => user.username).sort()).toEqual(['admin', 'ops'])

        // Logging out on B revokes the token on A too.
        expect((await fetch(`${b.url}/auth/logout`, { method: 'POST', headers: auth })).status).toBe(200)
        expect((await fetch(`${a.url}/users`, { headers: auth })).status).toBe(401)
      } finally {
        await Promise.all([a.stop(), b.stop()])
      }
    })
  })
})
