import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectEnvelopeError, startOrchestrator } from '../helpers'
import { demoProvider, type DemoLog } from './fixtures'

describe('orchestrator /state and /rollback', () => {
  let test: Awaited<ReturnType<typeof startOrchestrator>>
  const log: DemoLog = { runs: [], undone: [] }
  let workflowId: string

  beforeAll(async () => {
    test = await startOrchestrator({ engine: { providers: [demoProvider(log)] } })
    const workflow = await test.engine.workflows.submit({
      name: 'three',
      operations: [
        { id: 'a', provider: 'demo', action: 'echo', input: { name: 'a' } },
        { id: 'b', provider: 'demo', action: 'echo', input: { name: 'b' }, dependsOn: ['a'] },
        { id: 'c', provider: 'demo', action: 'echo', input: { name: 'c' }, dependsOn: ['b'] },
      ],
    })
    workflowId = workflow.id
    await test.engine.workflows.wait(workflowId)
  })
  afterAll(() => test.close())

  it("reports a workflow's progress and its snapshots", async () => {
    const progress = await test.orchestrator('GET', `/state/workflows/${workflowId}/progress`, { token: test.adminToken })
    expect(progress.body.data).toMatchObject({ workflow_id: workflowId, progress: 100, total_steps: 3, completed_steps: 3, estimated_time_remaining: 0 })
    const snapshots = await test.orchestrator('GET', `/state/workflows/${workflowId}/snapshots`, { token: test.adminToken })
    const states = snapshots.body.data.map((snapshot: any) => snapshot.state)
    expect(states[0]).toBe('pending')
    expect(states.at(-1)).toBe('completed')
    expect(snapshots.body.data[0]).toHaveProperty('snapshot_id')
    const missing = await test.orchestrator('GET', '/state/workflows/nope/progress', { token: test.adminToken })
    expect(missing.status).toBe(404)
    expectEnvelopeError(missing.body)
  })

  it("reports this host's real load and the workflow totals", async () => {
    const answer = await test.orchestrator('GET', '/state/system/metrics', { token: test.adminToken })
    const data = answer.body.data
    expect(data).toMatchObject({ total_workflows: 1, active_workflows: 0, completed_workflows: 1, failed_workflows: 0 })
    expect(data.system_load.cpu_usage).toBeGreaterThanOrEqual(0)
    expect(data.system_load.cpu_usage).toBeLessThanOrEqual(100)
    const { totalmem } = await import('node:os')
    expect(data.system_load.memory_total).toBe(Math.round(totalmem() / 1024 / 1024))
    expect(data.system_load.memory_usage).toBeGreaterThan(0)
    expect(data.system_load.disk_usage).toBeGreaterThan(0)
    expect(data.system_load.load_average).toHaveLength(3)
  })

  it('checks each component: storage, queue, coordinator and providers', async () => {
    const answer = await test.orchestrator('GET', '/state/system/health', { token: test.adminToken })
    expect(answer.body.data).toMatchObject({
      overall_status: 'Healthy',
      components: { storage: 'Healthy', queue: 'Healthy', batch_coordinator: 'Healthy', monitoring: 'Healthy', 'provider:demo': 'Healthy' },
      details: { queue: { running: 0, queued: 0 } },
    })
    expect(Date.parse(answer.body.data.last_check)).toBeGreaterThan(Date.now() - 60_000)
    const statistics = await test.orchestrator('GET', '/state/statistics', { token: test.adminToken })
    expect(statistics.body.data).toMatchObject({ total_workflows: 1, active_snapshots: 0 })
    expect(statistics.body.data.average_workflow_duration).toBeGreaterThanOrEqual(0)
  })

  it('creates a checkpoint, lists it, rolls back to it and restores it', async () => {
    const created = await test.orchestrator('POST', '/rollback/checkpoints', { token: test.adminToken, body: { name: 'before-d', description: 'before d' } })
    expect(created.status).toBe(201)
    const checkpointId = created.body.data
    expect(typeof checkpointId).toBe('string')

    const later = await test.engine.workflows.submit({ name: 'later', operations: [{ id: 'd', provider: 'demo', action: 'echo', input: { name: 'd' } }] })
    await test.engine.workflows.wait(later.id)

    const list = await test.orchestrator('GET', '/rollback/checkpoints', { token: test.adminToken })
    expect(list.body.data).toEqual([expect.objectContaining({ id: checkpointId, name: 'before-d', description: 'before d', operations_count: 3 })])
    expect(list.body.data[0].size).toMatch(/^\d+(\.\d)?(B|KB|MB)$/)
    const one = await test.orchestrator('GET', `/rollback/checkpoints/${checkpointId}`, { token: test.adminToken })
    expect(one.body.data).toMatchObject({ id: checkpointId, operations_count: 3 })

    const rollback = await test.orchestrator('POST', '/rollback/execute', { token: test.adminToken, body: { checkpoint_id: checkpointId } })
    expect(rollback.body.data).toMatchObject({ success: true, operations_executed: 1, operations_failed: 0, checkpoint_id: checkpointId })
    expect(log.undone).toEqual(['d'])

    const partial = await test.orchestrator('POST', '/rollback/execute', { token: test.adminToken, body: { operation_ids: ['c'], workflow_id: workflowId } })
    expect(partial.body.data).toMatchObject({ success: true, operations_executed: 1 })
    expect(log.undone).toEqual(['d', 'c'])

    const restore = await test.orchestrator('POST', `/rollback/restore/${checkpointId}`, { token: test.adminToken })
    expect(restore.body).toEqual({ success: true, data: `State restored from checkpoint ${checkpointId}` })
    expect(await test.engine.workflows.get(later.id)).toBeUndefined()

    const statistics = await test.orchestrator('GET', '/rollback/statistics', { token: test.adminToken })
    expect(statistics.body.data).toMatchObject({ total_checkpoints: 1, total_rollbacks: 2, success_rate: 100 })
  })

  it('refuses bad rollback input and unknown checkpoints', async () => {
    for (const body of [{}, { checkpoint_id: '' }, { operation_ids: [] }, { checkpoint_id: 'x', operation_ids: ['a'] }]) {
      const answer = await test.orchestrator('POST', '/rollback/execute', { token: test.adminToken, body })
      expect(answer.status, JSON.stringify(body)).toBe(422)
      expectEnvelopeError(answer.body)
    }
    const unknown = await test.orchestrator('POST', '/rollback/execute', { token: test.adminToken, body: { checkpoint_id: 'nope' } })
    expect(unknown.status).toBe(404)
    const noOps = await test.orchestrator('POST', '/rollback/execute', { token: test.adminToken, body: { operation_ids: ['ghost'] } })
    expect(noOps.status).toBe(404)
    expectEnvelopeError(noOps.body)
    expect((await test.orchestrator('POST', '/rollback/restore/nope', { token: test.adminToken })).status).toBe(404)
    const viewer = await test.userWithToken('viewer-r', ['viewer'])
    expect((await test.orchestrator('POST', '/rollback/checkpoints', { token: viewer.token, body: { name: 'x' } })).status).toBe(403)
    expect((await test.orchestrator('GET', '/rollback/checkpoints', { token: viewer.token })).status).toBe(200)
  })
})
