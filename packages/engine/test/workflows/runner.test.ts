import { describe, expect, it } from 'vitest'
import type { JobsApi } from '../../src/jobs/types'
import type { JobRecord, JobSubmission } from '../../src/jobs/types'
import { createLiveWorkflow, type LiveWorkflow } from '../../src/workflows/live'
import { OperationRunner } from '../../src/workflows/runner'
import { initialState } from '../../src/workflows/store'
import type { OperationRecord } from '../../src/workflows/types'

const job = (id: string, labels: Record<string, string>, status: JobRecord['status'] = 'pending'): JobRecord =>
  ({ id, provider: 'p', action: 'a', input: {}, status, labels, attempt: 1, createdAt: '', outputLines: 0, mode: 'run' }) as JobRecord

/** Jobs that complete as soon as they are waited for; `existing` are found by label. */
function fakeJobs(existing: JobRecord[] = []) {
  const submitted: JobSubmission[] = []
  const jobs = {
    submit: async (submission: JobSubmission) => {
      submitted.push(submission)
      return job(`job-${submitted.length}`, submission.labels ?? {})
    },
    list: async (query: { label?: Record<string, string> }) => {
      const items = existing.filter((each) => Object.entries(query.label ?? {}).every(([key, value]) => each.labels[key] === value))
      return { items, total: items.length, limit: 1, offset: 0 }
    },
    wait: async (id: string) => ({ ...job(id, {}, 'completed'), result: { from: id }, durationMs: 1 }),
    cancel: async (id: string) => job(id, {}, 'cancelled'),
  } as unknown as JobsApi
  return { jobs, submitted }
}

function workflowOf(operations: Partial<OperationRecord>[]) {
  const records = operations.map((operation, index) => ({
    provider: 'p',
    action: 'a',
    input: {},
    dependsOn: [],
    when: 'success' as const,
    index,
    ...initialState(operation),
    ...operation,
  })) as OperationRecord[]
  return createLiveWorkflow(
    { id: 'w', name: 'w', status: 'running', rollbackEnabled: false, labels: {}, createdAt: '', attempt: 1, cancelRequested: false, progress: 0, history: [] },
    records,
  )
}

/**
 * Runs a runner the way the workflow machine does: each admitted run is
 * executed and its report handed back, which may admit more.
 */
function drive(live: LiveWorkflow, jobs: JobsApi, adoptJobs: boolean) {
  const runner: OperationRunner = new OperationRunner(
    live,
    {
      jobs,
      saveOperations: async () => {},
      operationChanged: () => {},
      jobStarted: () => {},
      jobSettled: () => {},
      runsAdmitted: () => spawn(),
    },
    { adoptJobs, admissionWindow: 4 },
  )
  const spawn = () => {
    for (const run of runner.takeAdmitted()) {
      void runner.execute(run).then((report) => {
        runner.settle(report)
        spawn()
      })
    }
  }
  return runner.run()
}

describe('workflows: OperationRunner', () => {
  it('should wait for a recorded job instead of submitting another, and adopt an unrecorded one by its labels', async () => {
    const live = workflowOf([
      { id: 'recorded', status: 'running', runs: [{ status: 'running', jobId: 'old-1' }] },
      { id: 'unrecorded' },
      { id: 'fresh', dependsOn: ['recorded', 'unrecorded'] },
    ])
    const { jobs, submitted } = fakeJobs([job('old-2', { workflow: 'w', operation: 'unrecorded', attempt: '1' })])
    const outcome = await drive(live, jobs, true)
    expect(outcome).toEqual({ failed: false, cancelled: false, undoable: true })
    expect(submitted.map((submission) => submission.labels!.operation)).toEqual(['fresh'])
    expect(live.operations.get('recorded')!.result).toEqual({ from: 'old-1' })
    expect(live.operations.get('unrecorded')!.result).toEqual({ from: 'old-2' })
  })

  it('should leave settled operations alone', async () => {
    const live = workflowOf([
      { id: 'done', status: 'completed', progress: 100, runs: [{ status: 'completed', jobId: 'x', result: 1 }] },
      { id: 'next', dependsOn: ['done'] },
    ])
    const { jobs, submitted } = fakeJobs()
    await drive(live, jobs, false)
    expect(submitted.map((submission) => submission.labels!.operation)).toEqual(['next'])
    expect(live.settledCount).toBe(2)
  })
})
