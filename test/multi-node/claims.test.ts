import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createEngine } from '@provisio/engine'
import { expectEachJobRunOnce } from '../../packages/engine/test/claims-scenarios'
import { restartProvider } from '../../packages/engine/test/fixtures/restart-provider'
import { claimsContract } from '../../packages/engine/test/jobs/claims-contract'
import { redisClaims } from '../../packages/engine/src/jobs/claims/redis'
import Redis from 'ioredis'
import { startRedis } from '../helpers/redis'
import { tsProcessArgs } from '../helpers/ts-process'
import { describeWithTool } from '../helpers/system-tools'

const child = new URL('../../packages/engine/test/fixtures/claims-child.ts', import.meta.url).pathname

describeWithTool('redis-server')('job claims on a real redis-server', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  let client: Redis
  beforeAll(async () => {
    redis = await startRedis()
    client = new Redis(redis.url)
  })
  afterAll(async () => {
    client?.disconnect()
    await redis?.stop()
  })

  claimsContract('redis', () => redisClaims(client, 'contract:'))

  it('runs each of 1,000 jobs once with two engines, each with its own connection to one redis', async () => {
    await expectEachJobRunOnce(() => redis.storage('twice'), 1000)
  })

  it('takes over the jobs of a worker killed with SIGKILL once their leases lapse: an idempotent job runs again, another ends interrupted', async () => {
    const base = 'killed'
    const leaseMs = 1000
    const survivor = createEngine({ storage: redis.storage(base), providers: [restartProvider(50)], leaseMs })
    await survivor.start()
    try {
      const worker = spawn(process.execPath, [...tsProcessArgs(child), redis.url, base, String(leaseMs)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      let ids: { slow: string; idempotent: string } | undefined
      for await (const line of createInterface({ input: worker.stdout })) {
        ids = JSON.parse(line)
        break
      }
      // The survivor sees both jobs running, held by the other worker's claims.
      expect((await survivor.jobs.get(ids!.slow))?.status).toBe('running')
      worker.kill('SIGKILL')
      await new Promise((resolve) => worker.once('exit', resolve))
      const killedAt = Date.now()

      const slow = await survivor.jobs.wait(ids!.slow)
      expect(slow).toMatchObject({ status: 'failed', error: { code: 'interrupted' }, attempt: 1 })
      // Not before the lease lapsed: it was renewed at most a third of a lease before the kill.
      expect(Date.parse(slow.finishedAt!) - killedAt).toBeGreaterThanOrEqual(leaseMs / 2)
      const idempotent = await survivor.jobs.wait(ids!.idempotent)
      expect(idempotent).toMatchObject({ status: 'completed', result: 'idempotent done', attempt: 2 })
      const lines = []
      for await (const { line } of survivor.jobs.output(ids!.idempotent)) lines.push(line)
      expect(lines).toEqual(['idempotent attempt 1', 'idempotent attempt 2'])
    } finally {
      await survivor.stop({ graceMs: 0 })
    }
  })
})
