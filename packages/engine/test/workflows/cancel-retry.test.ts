import { createStorage } from 'unstorage'
import { afterEach, describe, expect, it } from 'vitest'
import type { WorkflowRecord } from '../../src/workflows'
import { startHarness, step, type Harness } from './fixtures/steps'

let h: Harness
afterEach(() => h?.stop())

const statuses = (workflow: WorkflowRecord) => Object.fromEntries(workflow.operations.map((operation) => [operation.id, operation.status]))

function whenRunning(name: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = ({ operationId, status }: { operationId: string; status: string }) => {
      if (operationId !== name || status !== 'running') return
      h.engine.off('workflow:operation', listener)
      // Let the job reach its action before cancelling.
      setTimeout(resolve, 20)
    }
    h.engine.on('workflow:operation', listener)
  })
}

describe('workflows: cancel and retry', () => {
  it('should cancel running jobs, skip pending operations, and end cancelled', async () => {
    h = await startHarness()
    const { id } = await h.workflows.workflows.submit({
      name: 'long',
      operations: [step('quick'), step('slow', { dependsOn: ['quick'], input: { ms: 10_000 } }), step('after', { dependsOn: ['slow'] })],
    })
    await whenRunning('slow')
    await h.workflows.workflows.cancel(id)
    const done = await h.workflows.workflows.wait(id)
    expect(done.status).toBe('cancelled')
    expect(statuses(done)).toEqual({ quick: 'completed', slow: 'cancelled', after: 'skipped' })
    expect(done.operations[2].skipReason).toBe('workflow cancelled')
    const job = await h.engine.jobs.get(done.operations[1].runs[0].jobId!)
    expect(job?.status).toBe('cancelled')
    expect(h.log.runs).toEqual(['quick', 'slow'])
    // Cancelling a finished workflow changes nothing.
    expect((await h.workflows.workflows.cancel(id)).status).toBe('cancelled')
  })

  it('should roll back after a cancel when rollback is enabled', async () => {
    h = await startHarness()
    const { id } = await h.workflows.workflows.submit({
      name: 'long',
      rollbackEnabled: true,
      parallelLimit: 1,
      operations: [step('quick'), step('slow', { input: { ms: 10_000 } }), step('never')],
    })
    await whenRunning('slow')
    await h.workflows.workflows.cancel(id)
    const done = await h.workflows.workflows.wait(id)
    expect(done.status).toBe('rolled_back')
    expect(statuses(done)).toEqual({ quick: 'completed', slow: 'cancelled', never: 'skipped' })
    expect(h.log.undos.map((undo) => undo.name)).toEqual(['quick'])
    const history = (await h.workflows.workflows.snapshots(id)).map((snapshot) => [snapshot.state, snapshot.details.event])
    expect(history).toContainEqual(['running', 'workflow.cancel'])
    expect(history.at(-2)).toEqual(['rolling_back', 'operations.settled'])
  })

  it('should re-run only failed and skipped operations on retry', async () => {
    h = await startHarness({ failures: { flaky: 1 } })
    const failed = await h.workflows.workflows.wait(
      (
        await h.workflows.workflows.submit({
          name: 'flaky',
          operations: [step('ok'), step('flaky', { dependsOn: ['ok'] }), step('next', { dependsOn: ['flaky'] }), step('side')],
        })
      ).id,
    )
    expect(statuses(failed)).toEqual({ ok: 'completed', flaky: 'failed', next: 'skipped', side: 'completed' })

    const retried = await h.workflows.workflows.retry(failed.id)
    expect(retried.status).toBe('running')
    expect(retried.attempt).toBe(2)
    const done = await h.workflows.workflows.wait(failed.id)
    expect(done.status).toBe('completed')
    expect(done.error).toBeUndefined()
    expect(h.log.runs.filter((name) => name === 'ok')).toHaveLength(1)
    expect(h.log.runs.filter((name) => name === 'side')).toHaveLength(1)
    expect(h.log.runs.filter((name) => name === 'flaky')).toHaveLength(2)
    expect(h.log.runs.filter((name) => name === 'next')).toHaveLength(1)
    expect(Object.fromEntries(done.operations.map((operation) => [operation.id, operation.attempt]))).toEqual({ ok: 1, side: 1, flaky: 2, next: 2 })
    await expect(h.workflows.workflows.retry(failed.id)).rejects.toThrow('nothing to retry')
  })

  it('should re-run only the failed items of a batch on retry', async () => {
    h = await startHarness({ failures: { 'server#"b"': 1 } })
    const { id } = await h.workflows.workflows.submit({
      name: 'batch',
      operations: [{ id: 'servers', provider: 'steps', action: 'step', input: { name: 'server' }, items: ['a', 'b', 'c'] }],
    })
    const failed = await h.workflows.workflows.wait(id)
    expect(failed.status).toBe('failed')
    expect(failed.operations[0].error?.message).toBe('item 1: server#"b" broke')
    expect(failed.operations[0].runs.map((run) => run.status)).toEqual(['completed', 'failed', 'completed'])

    await h.workflows.workflows.retry(id)
    const done = await h.workflows.workflows.wait(id)
    expect(done.status).toBe('completed')
    expect(done.operations[0].result).toEqual([{ made: 'server#"a"' }, { made: 'server#"b"' }, { made: 'server#"c"' }])
    expect(h.log.runs.sort()).toEqual(['server#"a"', 'server#"b"', 'server#"b"', 'server#"c"'])
  })
})

describe('workflows: retry after a rollback', () => {
  it('should run the undone operations again along with the failed one', async () => {
    h = await startHarness({ failures: { deploy: 1 } })
    const { id } = await h.workflows.workflows.submit({
      name: 'again',
      rollbackEnabled: true,
      operations: [step('server'), step('deploy', { dependsOn: ['server'] })],
    })
    const rolledBack = await h.workflows.workflows.wait(id)
    expect(rolledBack.status).toBe('rolled_back')
    expect(h.log.undos.map((undo) => undo.name)).toEqual(['server'])

    await h.workflows.workflows.retry(id)
    const done = await h.workflows.workflows.wait(id)
    expect(done.status).toBe('completed')
    expect(done.rollback).toBeUndefined()
    expect(h.log.runs).toEqual(['server', 'deploy', 'server', 'deploy'])
    expect(done.operations.every((operation) => !operation.rolledBack && operation.runs[0].undo === undefined)).toBe(true)
    const states = (await h.workflows.workflows.snapshots(id)).map((snapshot) => snapshot.state)
    expect(states).toEqual(['pending', 'running', 'rolling_back', 'rolled_back', 'running', 'completed'])
  })
})

describe('workflows: jobs cancelled outside the workflow', () => {
  it('should fail the workflow when an operation job is cancelled on its own', async () => {
    h = await startHarness()
    const { id } = await h.workflows.workflows.submit({
      name: 'poked',
      operations: [step('slow', { input: { ms: 10_000 } }), step('after', { dependsOn: ['slow'] })],
    })
    await whenRunning('slow')
    const jobId = (await h.workflows.workflows.get(id))!.operations[0].runs[0].jobId!
    await h.engine.jobs.cancel(jobId)
    const done = await h.workflows.workflows.wait(id)
    expect(done.status).toBe('failed')
    expect(done.error?.message).toBe('operation "slow" cancelled: cancelled')
    expect(statuses(done)).toEqual({ slow: 'cancelled', after: 'skipped' })
  })

  it('should run a job again after a graceful stop cancelled it, and carry on', async () => {
    const storage = createStorage()
    h = await startHarness({ storage })
    const { id } = await h.workflows.workflows.submit({
      name: 'stopped',
      operations: [step('first'), step('slow', { dependsOn: ['first'], input: { ms: 10_000 } }), step('last', { dependsOn: ['slow'] })],
    })
    await whenRunning('slow')
    // The engine stops its workflows first, then its jobs (which cancels the running one).
    await h.stop()
    const before = h.log.runs.slice()
    expect(before).toEqual(['first', 'slow'])

    h = await startHarness({ storage, maxMs: 5 })
    const done = await h.workflows.workflows.wait(id)
    expect(done.status).toBe('completed')
    expect(h.log.runs).toEqual(['slow', 'last'])
    const slowJobs = await h.engine.jobs.list({ label: { workflow: id, operation: 'slow' } })
    expect(slowJobs.items.map((job) => job.status).sort()).toEqual(['cancelled', 'completed'])
  })
})
