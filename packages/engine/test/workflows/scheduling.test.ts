import { afterEach, describe, expect, it } from 'vitest'
import type { OperationRecord, WorkflowRecord } from '../../src/workflows'
import { startHarness, step, type Harness } from './fixtures/steps'

let h: Harness
afterEach(() => h?.stop())

const op = (workflow: WorkflowRecord, id: string): OperationRecord => workflow.operations.find((operation) => operation.id === id)!

describe('workflows: scheduling', () => {
  it('should run a diamond: a join waits for every parent', async () => {
    h = await startHarness()
    const submitted = await h.workflows.workflows.submit({
      name: 'diamond',
      operations: [
        step('join', { dependsOn: ['left', 'right'] }),
        step('left', { dependsOn: ['root'], input: { ms: 30 } }),
        step('right', { dependsOn: ['root'], input: { ms: 5 } }),
        step('root'),
      ],
    })
    expect(submitted.status).toBe('running')
    const done = await h.workflows.workflows.wait(submitted.id)
    expect(done.status).toBe('completed')
    expect(done.progress).toBe(100)
    expect(h.log.runs[0]).toBe('root')
    expect(h.log.runs.at(-1)).toBe('join')
    expect(h.log.runs).toHaveLength(4)
    expect(op(done, 'join').result).toEqual({ made: 'join' })
    expect(Date.parse(op(done, 'join').startedAt!)).toBeGreaterThanOrEqual(Date.parse(op(done, 'left').finishedAt!))
    // Operations come back in topological order.
    expect(done.operations.map((operation) => operation.id)).toEqual(['root', 'left', 'right', 'join'])
  })

  it('should follow when conditions and propagate skips', async () => {
    h = await startHarness()
    const { id } = await h.workflows.workflows.submit({
      name: 'conditions',
      operations: [
        step('build', { input: { fail: true } }),
        step('deploy', { dependsOn: ['build'] }),
        step('smoke', { dependsOn: ['deploy'] }),
        step('alert', { dependsOn: ['build'], when: 'failure' }),
        step('cleanup', { dependsOn: ['deploy', 'alert'], when: 'always' }),
        step('celebrate', { dependsOn: ['deploy'], when: 'failure' }),
        step('lonely', { when: 'failure' }),
      ],
    })
    const done = await h.workflows.workflows.wait(id)
    expect(done.status).toBe('failed')
    expect(done.error?.message).toContain('operation "build" failed: build broke')
    const statuses = Object.fromEntries(done.operations.map((operation) => [operation.id, operation.status]))
    expect(statuses).toEqual({
      build: 'failed',
      deploy: 'skipped',
      smoke: 'skipped',
      alert: 'completed',
      cleanup: 'completed',
      celebrate: 'skipped',
      lonely: 'skipped',
    })
    expect(op(done, 'deploy').skipReason).toBe('dependency "build" ended failed')
    expect(op(done, 'smoke').skipReason).toBe('dependency "deploy" ended skipped')
    expect(op(done, 'celebrate').skipReason).toBe('no dependency failed')
    expect(h.log.runs.sort()).toEqual(['alert', 'build', 'cleanup'])
  })

  it('should run once an operation that a skipped root releases', async () => {
    h = await startHarness()
    const { id } = await h.workflows.workflows.submit({
      name: 'cascade',
      operations: [step('onFailure', { when: 'failure' }), step('anyway', { dependsOn: ['onFailure'], when: 'always' })],
    })
    const done = await h.workflows.workflows.wait(id)
    expect(done.status).toBe('completed')
    expect(h.log.runs).toEqual(['anyway'])
    expect((await h.engine.jobs.list({ label: { workflow: id } })).total).toBe(1)
  })

  it('should never run more than parallelLimit jobs of a workflow at once', async () => {
    h = await startHarness({ concurrency: 32 })
    let running = 0
    let maxRunning = 0
    h.engine.on('workflow:operation', ({ status, previous }) => {
      if (status === 'running') running++
      if (previous === 'running') running--
      maxRunning = Math.max(maxRunning, running)
    })
    const operations = Array.from({ length: 12 }, (_, index) => step(`s${index}`, { input: { ms: 50 } }))
    const { id } = await h.workflows.workflows.submit({ name: 'limited', parallelLimit: 3, operations })
    expect((await h.workflows.workflows.wait(id)).status).toBe('completed')
    expect(h.log.maxRunning).toBe(3)
    expect(maxRunning).toBe(3)
    expect(h.log.runs).toHaveLength(12)
  })

  it('should expand a batch into one job per item with input.item, and report the share of items done', async () => {
    h = await startHarness()
    const shares: number[] = []
    h.engine.on('workflow:progress', ({ progress }) => shares.push(progress))
    const { id } = await h.workflows.workflows.submit({
      name: 'multi_cloud_deployment',
      parallelLimit: 2,
      operations: [
        {
          id: 'upcloud_servers',
          type: 'server_batch',
          provider: 'steps',
          action: 'step',
          input: { name: 'server', ms: 40 },
          server_configs: [{ host: 'web-01' }, { host: 'web-02' }, { host: 'web-03' }],
        },
        {
          id: 'aws_taskservs',
          provider: 'steps',
          action: 'step',
          input: { name: 'taskserv' },
          dependencies: ['upcloud_servers'],
          taskservs: ['kubernetes', 'cilium'],
        },
      ],
    })
    const done = await h.workflows.workflows.wait(id)
    expect(done.status).toBe('completed')
    expect(op(done, 'upcloud_servers').result).toEqual([
      { made: 'server#{"host":"web-01"}' },
      { made: 'server#{"host":"web-02"}' },
      { made: 'server#{"host":"web-03"}' },
    ])
    expect(op(done, 'aws_taskservs').items).toEqual(['kubernetes', 'cilium'])
    expect(h.log.maxRunning).toBe(2)
    const jobs = await h.engine.jobs.list({ label: { workflow: id, operation: 'upcloud_servers' }, limit: 10 })
    expect(jobs.total).toBe(3)
    expect(jobs.items.map((job) => (job.input as { item: { host: string } }).item.host).sort()).toEqual(['web-01', 'web-02', 'web-03'])
    // 1/3 and 2/3 of the first operation's items, as a share of two operations.
    expect(shares).toContain(16.7)
    expect(shares).toContain(33.3)
    expect(shares.at(-1)).toBe(100)
  })

  it('should report progress with an ETA from measured durations of the same action', async () => {
    h = await startHarness()
    const first = await h.workflows.workflows.submit({ name: 'warm', operations: [step('a', { input: { ms: 40 } })] })
    await h.workflows.workflows.wait(first.id)
    expect(await h.workflows.workflows.progress(first.id)).toMatchObject({ progress: 100, totalSteps: 1, completedSteps: 1, estimatedTimeRemaining: 0 })

    const second = await h.workflows.workflows.submit({
      name: 'measured',
      operations: [step('a', { input: { ms: 150 } }), step('b', { dependsOn: ['a'], input: { ms: 40 } }), step('c', { dependsOn: ['b'], input: { ms: 40 } })],
    })
    await new Promise((resolve) => h.engine.once('job:progress', resolve))
    const progress = await h.workflows.workflows.progress(second.id)
    expect(progress).toMatchObject({ workflowId: second.id, status: 'running', totalSteps: 3, completedSteps: 0, currentStep: 'half of a' })
    expect(progress.progress).toBeCloseTo(50 / 3, 1)
    // a is half done, b and c are left: 0.5 + 1 + 1 measured durations of steps.step (about 40 ms each).
    const measured = (await h.workflows.stats()).operations.byAction['steps.step'].averageDurationMs
    expect(progress.estimatedTimeRemaining).toBeCloseTo((2.5 * measured) / 1000, 1)
    await h.workflows.workflows.wait(second.id)
  })

  it('should persist every transition as a snapshot', async () => {
    h = await startHarness()
    const { id } = await h.workflows.workflows.submit({ name: 'history', operations: [step('a')] })
    await h.workflows.workflows.wait(id)
    const snapshots = await h.workflows.workflows.snapshots(id)
    expect(snapshots.map((snapshot) => [snapshot.state, snapshot.details.event])).toEqual([
      ['pending', 'workflow.submitted'],
      ['running', 'workflow.start'],
      ['completed', 'operations.settled'],
    ])
    expect(snapshots[2].details.operations.completed).toBe(1)
    expect(new Set(snapshots.map((snapshot) => snapshot.snapshot_id)).size).toBe(3)
  })

  it('should page and filter the list from its index', async () => {
    h = await startHarness()
    const ids: string[] = []
    for (const fail of [false, true, false, false]) {
      const { id } = await h.workflows.workflows.submit({ name: 'listed', operations: [step('a', { input: { fail } })] })
      await h.workflows.workflows.wait(id)
      ids.push(id)
    }
    const page = await h.workflows.workflows.list({ status: 'completed', limit: 2, offset: 1 })
    expect(page).toMatchObject({ total: 3, limit: 2, offset: 1 })
    expect(page.items.map((workflow) => workflow.id)).toEqual([ids[2], ids[0]])
    expect((await h.workflows.workflows.list({ status: ['failed'] })).items.map((workflow) => workflow.id)).toEqual([ids[1]])
    expect((await h.workflows.workflows.list({ order: 'asc', limit: 1 })).items[0].id).toBe(ids[0])
    expect(await h.workflows.workflows.get('nope')).toBeUndefined()
  })
})
