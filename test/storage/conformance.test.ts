// The storage conformance suite on every storage the server offers: memory, fs (LMDB) and Redis.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStorage } from 'unstorage'
import redisDriver from 'unstorage/drivers/redis'
import { afterAll, beforeAll } from 'vitest'
import { fsStorage, memoryStorage } from '@provisio/engine'
import { testStorage } from '@provisio/engine/testing'
import { startRedis } from '../helpers/redis'
import { describeWithTool } from '../helpers/system-tools'

testStorage('memory', () => memoryStorage())

const base = mkdtempSync(join(tmpdir(), 'provisio-conformance-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
testStorage('fs (LMDB)', () => fsStorage({ base }), { persistent: true })

describeWithTool('redis-server')('on a real redis-server', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(() => redis?.stop())
  testStorage('redis', () => createStorage({ driver: redisDriver({ url: redis.url, base: 'provisio' }) }), { persistent: true })
})
