import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectEnvelopeError, startOrchestrator } from '../helpers'
import { demoProvider, type DemoLog } from './fixtures'

const echo = (id: string, extra: Record<string, unknown> = {}) => ({ id, provider: 'demo', action: 'echo', input: { name: id }, ...extra })

async function waitForBatch(test: Awaited<ReturnType<typeof startOrchestrator>>, id: string) {
  await test.engine.workflows.wait(id)
  return (await test.orchestrator('GET', `/batch/operations/${id}`, { token: test.adminToken })).body.data
}

describe('orchestrator /batch', () => {
  let test: Awaited<ReturnType<typeof startOrchestrator>>
  const log: DemoLog = { runs: [], undone: [] }

  beforeAll(async () => {
    test = await startOrchestrator({ engine: { providers: [demoProvider(log)] } })
  })
  afterAll(() => test.close())

  it('executes a batch over its DAG and reports each operation', async () => {
    const answer = await test.orchestrator('POST', '/batch/execute', {
      token: test.adminToken,
      body: {
        name: 'deploy',
        version: '1.0.0',
        storage_backend: 'surrealdb',
        parallel_limit: 2,
        rollback_enabled: false,
        operations: [echo('servers', { type: 'server_batch', items: ['web-01', 'web-02'] }), echo('taskservs', { dependencies: ['servers'] })],
      },
    })
    expect(answer.status).toBe(200)
    expect(answer.body.success).toBe(true)
    const batch = answer.body.data
    expect(batch).toMatchObject({ name: 'deploy', version: '1.0.0', storage_backend: 'surrealdb', parallel_limit: 2, rollback_enabled: false })
    expect(batch.operations.map((operation: any) => [operation.id, operation.status])).toEqual([
      ['servers', expect.stringMatching(/Pending|Running/)],
      ['taskservs', 'Pending'],
    ])

    const done = await waitForBatch(test, batch.batch_id)
    expect(done.status).toBe('Completed')
    expect(done.operations[0]).toMatchObject({
      id: 'servers',
      status: 'Completed',
      progress: 100,
      results: [{ made: 'servers#"web-01"' }, { made: 'servers#"web-02"' }],
    })
    expect(done.operations[1]).toMatchObject({ id: 'taskservs', status: 'Completed', dependencies: ['servers'] })

    const list = await test.orchestrator('GET', '/batch/operations', { token: test.adminToken })
    expect(list.body.data.map((entry: any) => entry.batch_id)).toContain(batch.batch_id)
    expect(list.headers.get('x-total-count')).toBe(String(list.body.data.length))
  })

  it('rolls back completed operations when one fails', async () => {
    const answer = await test.orchestrator('POST', '/batch/execute', {
      token: test.adminToken,
      body: {
        name: 'doomed',
        rollback_enabled: true,
        operations: [echo('made'), echo('broken', { dependencies: ['made'], input: { name: 'broken', fail: true } })],
      },
    })
    expect(answer.status).toBe(200)
    const done = await waitForBatch(test, answer.body.data.batch_id)
    expect(done.status).toBe('Failed')
    expect(done.engine_status).toBe('rolled_back')
    expect(done.operations.find((operation: any) => operation.id === 'broken')).toMatchObject({ status: 'Failed', error: 'broken failed on purpose' })
    expect(done.operations.find((operation: any) => operation.id === 'made')).toMatchObject({ rolled_back: true })
    expect(done.rollback).toMatchObject({ success: true, operations_executed: 1 })
    expect(log.undone).toContain('made')
  })

  it('cancels a running batch', async () => {
    const answer = await test.orchestrator('POST', '/batch/execute', {
      token: test.adminToken,
      body: {
        name: 'long',
        operations: [{ id: 'sleep', provider: 'demo', action: 'wait', input: { ms: 60_000 } }, echo('after', { dependencies: ['sleep'] })],
      },
    })
    const id = answer.body.data.batch_id
    const cancel = await test.orchestrator('POST', `/batch/operations/${id}/cancel`, { token: test.adminToken })
    expect(cancel.body).toEqual({ success: true, data: 'Operation cancelled' })
    const done = await waitForBatch(test, id)
    expect(done.status).toBe('Cancelled')
    expect(done.operations.find((operation: any) => operation.id === 'after').status).toBe('Skipped')
  })

  it('refuses an unknown dependency, a cycle, a bad parallel_limit and loose types at submit, storing nothing', async () => {
    const before = (await test.engine.workflows.list()).total
    const bodies = [
      { name: 'x', operations: [echo('a', { dependencies: ['ghost'] })] },
      { name: 'x', operations: [echo('a', { dependencies: ['b'] }), echo('b', { dependencies: ['a'] })] },
      { name: 'x', parallel_limit: 0, operations: [echo('a')] },
      { name: 'x', parallel_limit: 1.5, operations: [echo('a')] },
      { name: 'x', rollback_enabled: 'yes', operations: [echo('a')] },
      { name: 'x', operations: [] },
      { name: 'x', operations: [{ id: 'a', provider: 'nope', action: 'echo' }] },
      { name: 'x', operations: [{ id: 'a', provider: 'demo', action: 'echo', input: { lines: 'many' } }] },
      { name: 'x', operations: [echo('a')], surprise: true },
    ]
    for (const body of bodies) {
      const answer = await test.orchestrator('POST', '/batch/execute', { token: test.adminToken, body })
      expect(answer.status, JSON.stringify(body)).toBe(422)
      expectEnvelopeError(answer.body)
    }
    const cycle = await test.orchestrator('POST', '/batch/execute', { token: test.adminToken, body: bodies[1] })
    expect(cycle.body.error).toMatch(/cycle/i)
    const ghost = await test.orchestrator('POST', '/batch/execute', { token: test.adminToken, body: bodies[0] })
    expect(ghost.body.error).toMatch(/ghost/)
    expect((await test.engine.workflows.list()).total).toBe(before)
  })

  it('answers unknown batches with 404 and counts /batch requests in the batch rate-limit bucket', async () => {
    const missing = await test.orchestrator('GET', '/batch/operations/nope', { token: test.adminToken })
    expect(missing.status).toBe(404)
    expectEnvelopeError(missing.body)
    const cancel = await test.orchestrator('POST', '/batch/operations/nope/cancel', { token: test.adminToken })
    expect(cancel.status).toBe(404)
    const list = await test.orchestrator('GET', '/batch/operations', { token: test.adminToken })
    expect(list.headers.get('x-ratelimit-limit')).toBe('10000')
  })
})

describe('orchestrator /batch rate limit', () => {
  it('allows 10 batch requests a minute per user, then answers 429 in the envelope', async () => {
    const test = await startOrchestrator({ rateLimits: { batch: 10 }, engine: { providers: [demoProvider()] } })
    try {
      const statuses: number[] = []
      for (let index = 0; index < 11; index++) statuses.push((await test.orchestrator('GET', '/batch/operations', { token: test.adminToken })).status)
      expect(statuses.slice(0, 10).every((status) => status === 200)).toBe(true)
      const refused = await test.orchestrator('GET', '/batch/operations', { token: test.adminToken })
      expect(refused.status).toBe(429)
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('0')
      expectEnvelopeError(refused.body)
      // Other routes draw on the general bucket.
      expect((await test.orchestrator('GET', '/tasks', { token: test.adminToken })).status).toBe(200)
    } finally {
      await test.close()
    }
  })
})
