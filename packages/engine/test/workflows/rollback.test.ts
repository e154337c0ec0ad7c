import { createStorage } from 'unstorage'
import { afterEach, describe, expect, it } from 'vitest'
import { ValidationError } from '../../src/errors'
import type { WorkflowRecord } from '../../src/workflows'
import { startHarness, step, type Harness } from './fixtures/steps'

let h: Harness
afterEach(() => h?.stop())

const chain = (...ids: string[]) => ids.map((id, index) => step(id, index ? { dependsOn: [ids[index - 1]] } : {}))
const op = (workflow: WorkflowRecord, id: string) => workflow.operations.find((operation) => operation.id === id)!

async function run(submission: Parameters<Harness['workflows']['workflows']['submit']>[0]) {
  const { id } = await h.workflows.workflows.submit(submission)
  return h.workflows.workflows.wait(id)
}

describe('workflows: rollback', () => {
  it('should undo completed operations in reverse topological order when the workflow fails', async () => {
    h = await startHarness()
    const done = await run({
      name: 'deploy',
      rollbackEnabled: true,
      operations: [
        step('network'),
        step('server', { dependsOn: ['network'] }),
        step('dns', { dependsOn: ['network'] }),
        { id: 'firewall', provider: 'steps', action: 'oneWay', input: { name: 'firewall' }, dependsOn: ['server'] },
        step('app', { dependsOn: ['firewall', 'dns'], input: { fail: true } }),
      ],
    })
    expect(done.status).toBe('rolled_back')
    expect(done.error?.message).toContain('operation "app" failed')
    const undone = h.log.undos.map((undo) => undo.name)
    expect(undone).toHaveLength(3)
    expect(undone.at(-1)).toBe('network')
    expect(undone.indexOf('server')).toBeLessThan(undone.indexOf('network'))
    // Each undo receives the run's input and result.
    expect(h.log.undos.find((undo) => undo.name === 'server')).toMatchObject({ input: { name: 'server' }, result: { made: 'server' } })
    expect(done.rollback).toMatchObject({ success: true, operationsExecuted: 3, operationsFailed: 0, notReversible: [`${done.id}/firewall`] })
    expect(op(done, 'server').rolledBack).toBe(true)
    expect(op(done, 'server').runs[0].undo?.status).toBe('completed')
    const states = (await h.workflows.workflows.snapshots(done.id)).map((snapshot) => snapshot.state)
    expect(states).toEqual(['pending', 'running', 'rolling_back', 'rolled_back'])
  })

  it('should retry a failing undo three times, run the other undos, and end failed with the undo errors', async () => {
    h = await startHarness()
    const done = await run({
      name: 'stubborn',
      rollbackEnabled: true,
      operations: [
        step('a'),
        step('b', { dependsOn: ['a'], input: { failUndo: true } }),
        step('c', { dependsOn: ['b'] }),
        step('d', { dependsOn: ['c'], input: { fail: true } }),
      ],
    })
    expect(done.status).toBe('failed')
    expect(h.log.undoAttempts).toEqual({ c: 1, b: 3, a: 1 })
    expect(h.log.undos.map((undo) => undo.name)).toEqual(['c', 'a'])
    expect(done.error?.undoErrors).toEqual([{ operationId: 'b', error: expect.objectContaining({ message: 'cannot undo b' }) }])
    expect(done.rollback).toMatchObject({ success: false, operationsExecuted: 2, operationsFailed: 1 })
    expect(op(done, 'b').rolledBack).toBe(false)
  })

  it('should not roll back when rollback is not enabled', async () => {
    h = await startHarness()
    const done = await run({
      name: 'plain',
      operations: chain('a', 'b').map((spec, index) => (index ? { ...spec, input: { ...spec.input, fail: true } } : spec)),
    })
    expect(done.status).toBe('failed')
    expect(h.log.undos).toEqual([])
  })

  it('should refuse to undo an operation whose dependent still stands, unless it is included', async () => {
    h = await startHarness()
    const done = await run({ name: 'partial', operations: [...chain('servers', 'k8s'), step('monitoring')] })
    const refused = await h.workflows.rollback({ workflowId: done.id, operationIds: ['servers'] }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(ValidationError)
    expect((refused as ValidationError).issues[0].message).toBe('"servers" cannot be undone while its dependent "k8s" stands: add "k8s" to operationIds')
    expect(h.log.undos).toEqual([])

    const result = await h.workflows.rollback({ operationIds: ['servers', 'k8s'] })
    expect(result).toMatchObject({ success: true, operationsExecuted: 2, operationsFailed: 0, workflowId: done.id })
    expect(h.log.undos.map((undo) => undo.name)).toEqual(['k8s', 'servers'])
    const after = (await h.workflows.workflows.get(done.id))!
    expect(op(after, 'monitoring').rolledBack).toBeUndefined()
    expect(after.status).toBe('completed')
    // Once k8s is undone, servers alone may go (nothing left to undo: no undo job).
    expect(await h.workflows.rollback({ workflowId: done.id, operationIds: ['servers'] })).toMatchObject({ success: true, operationsExecuted: 0 })
  })

  it('should undo what completed after a checkpoint, newest first, and leave the rest', async () => {
    h = await startHarness()
    const before = await run({ name: 'before', operations: chain('base') })
    const checkpoint = await h.workflows.checkpoints.create({ name: 'before_major_update', description: 'Checkpoint before deploying v2.0.0' })
    expect(checkpoint).toMatchObject({ name: 'before_major_update', operations_count: 1, workflows_count: 1 })
    expect(checkpoint.ledger).toEqual([expect.objectContaining({ workflowId: before.id, operationId: 'base', result: { made: 'base' } })])
    const after1 = await run({ name: 'after1', operations: chain('x1', 'x2') })
    const after2 = await run({ name: 'after2', operations: chain('y1') })

    const result = await h.workflows.rollback({ checkpointId: checkpoint.id })
    expect(result).toMatchObject({ success: true, operationsExecuted: 3, operationsFailed: 0, checkpointId: checkpoint.id })
    expect(h.log.undos.map((undo) => undo.name)).toEqual(['y1', 'x2', 'x1'])
    expect(op((await h.workflows.workflows.get(after1.id))!, 'x1').rolledBack).toBe(true)
    expect(op((await h.workflows.workflows.get(after2.id))!, 'y1').rolledBack).toBe(true)
    expect(op((await h.workflows.workflows.get(before.id))!, 'base').rolledBack).toBeUndefined()

    // A second rollback to the same checkpoint finds nothing left.
    expect(await h.workflows.rollback({ checkpointId: checkpoint.id })).toMatchObject({ success: true, operationsExecuted: 0 })
    expect((await h.workflows.checkpoints.list()).map((summary) => summary.id)).toEqual([checkpoint.id])
    expect((await h.workflows.checkpoints.get(checkpoint.id))?.size).toBeGreaterThan(0)
  })

  it('should restore workflow records to a checkpoint without undoing anything', async () => {
    h = await startHarness()
    const first = await run({ name: 'first', operations: chain('a', 'b') })
    const checkpoint = await h.workflows.checkpoints.create({ name: 'cp' })
    const later = await run({ name: 'later', operations: chain('c') })
    await h.workflows.rollback({ workflowId: first.id, operationIds: ['a', 'b'] })
    expect(op((await h.workflows.workflows.get(first.id))!, 'a').rolledBack).toBe(true)
    const undosBefore = h.log.undos.length

    expect(await h.workflows.checkpoints.restore(checkpoint.id)).toEqual({ checkpointId: checkpoint.id, restored: 1, removed: 1 })
    const list = await h.workflows.workflows.list()
    expect(list.items.map((workflow) => workflow.id)).toEqual([first.id])
    expect(await h.workflows.workflows.get(later.id)).toBeUndefined()
    const restored = (await h.workflows.workflows.get(first.id))!
    expect(restored).toEqual(first)
    expect(h.log.undos).toHaveLength(undosBefore)
  })

  it('should count workflows, durations and rollbacks in stats', async () => {
    h = await startHarness()
    await run({ name: 'ok', operations: chain('a') })
    await run({ name: 'ko', rollbackEnabled: true, operations: [step('b'), step('c', { dependsOn: ['b'], input: { fail: true } })] })
    await h.workflows.checkpoints.create({ name: 'cp' })
    const stats = await h.workflows.stats()
    expect(stats.workflows).toMatchObject({ total: 2, active: 0, successRate: 50 })
    expect(stats.workflows.byStatus).toMatchObject({ completed: 1, rolled_back: 1 })
    expect(stats.workflows.averageDurationMs).toBeGreaterThan(0)
    expect(stats.operations.byAction['steps.step'].count).toBe(2)
    expect(stats.rollbacks).toMatchObject({ total: 1, succeeded: 1, failed: 0, successRate: 100, operationsExecuted: 1, operationsFailed: 0 })
    expect(stats.checkpoints.total).toBe(1)
  })
})

describe('workflows: restore to a checkpoint taken mid-run', () => {
  it('should let a workflow that was running at the checkpoint carry on, without submitting its jobs again', async () => {
    h = await startHarness()
    const { id } = await h.workflows.workflows.submit({
      name: 'mid',
      operations: [step('slow', { input: { ms: 150 } }), step('next', { dependsOn: ['slow'] })],
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const checkpoint = await h.workflows.checkpoints.create({ name: 'mid-run' })
    await h.workflows.workflows.wait(id)
    expect(h.log.runs).toEqual(['slow', 'next'])

    const nextJob = (await h.workflows.workflows.get(id))!.operations[1].runs[0].jobId
    await h.workflows.checkpoints.restore(checkpoint.id)
    expect((await h.workflows.workflows.get(id))!.status).toBe('running')
    const done = await h.workflows.workflows.wait(id)
    expect(done.status).toBe('completed')
    // Nothing is undone or redone at the provider: `slow` waits for the job it had at the
    // checkpoint, `next` finds (by its labels) the job that ran after the checkpoint.
    expect(h.log.runs).toEqual(['slow', 'next'])
    expect(done.operations[1].runs[0].jobId).toBe(nextJob)
    expect((await h.workflows.workflows.snapshots(id)).map((snapshot) => snapshot.details.event)).toContain('workflow.resumed')
  })

  it('should refuse to restore while a workflow runs', async () => {
    h = await startHarness()
    const checkpoint = await h.workflows.checkpoints.create({ name: 'empty' })
    const { id } = await h.workflows.workflows.submit({ name: 'busy', operations: [step('slow', { input: { ms: 200 } })] })
    await expect(h.workflows.checkpoints.restore(checkpoint.id)).rejects.toThrow(`cannot restore a checkpoint while workflow "${id}" is running`)
    await h.workflows.workflows.wait(id)
    await expect(h.workflows.checkpoints.restore('nope')).rejects.toThrow('no checkpoint "nope"')
  })
})

describe('workflows: a rollback cut by a stop', () => {
  it('should carry on undoing after the next start, without undoing anything twice', async () => {
    const storage = createStorage()
    h = await startHarness({ storage })
    const { id } = await h.workflows.workflows.submit({
      name: 'interrupted',
      rollbackEnabled: true,
      operations: [
        step('a'),
        step('b', { dependsOn: ['a'], input: { undoMs: 10_000 } }),
        step('c', { dependsOn: ['b'] }),
        step('d', { dependsOn: ['c'], input: { fail: true } }),
      ],
    })
    await new Promise<void>((resolve) => {
      h.engine.on('job:status', ({ job, status }) => job.mode === 'undo' && job.labels.operation === 'b' && status === 'running' && resolve())
    })
    await h.stop()
    expect(h.log.undos.map((undo) => undo.name)).toEqual(['c'])

    h = await startHarness({ storage, maxMs: 5 })
    const done = await h.workflows.workflows.wait(id)
    expect(done.status).toBe('rolled_back')
    expect(h.log.undos.map((undo) => undo.name)).toEqual(['b', 'a'])
    expect(done.rollback).toMatchObject({ success: true, operationsExecuted: 2 })
    expect((await h.workflows.workflows.snapshots(id)).map((snapshot) => [snapshot.state, snapshot.details.event]).slice(-2)).toEqual([
      ['rolling_back', 'workflow.resumed'],
      ['rolled_back', 'rollback.finished'],
    ])
    // Only the finished rollback is counted.
    expect((await h.workflows.stats()).rollbacks).toMatchObject({ total: 1, succeeded: 1 })
  })
})
