import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectEnvelopeError, startOrchestrator } from '../helpers'
import { demoProvider } from './fixtures'

describe('orchestrator /tasks', () => {
  let test: Awaited<ReturnType<typeof startOrchestrator>>
  const ids: string[] = []
  let workflowId: string

  beforeAll(async () => {
    test = await startOrchestrator({ engine: { providers: [demoProvider()] } })
    // Five jobs, then one workflow of two operations (two more jobs): nine tasks, created in this order.
    for (let index = 0; index < 5; index++) {
      const job = await test.engine.jobs.submit({ provider: 'demo', action: 'echo', input: { name: `job-${index}`, lines: 3, fail: index === 4 } })
      ids.push(job.id)
      await test.engine.jobs.wait(job.id)
    }
    const workflow = await test.engine.workflows.submit({
      name: 'pair',
      operations: [
        { id: 'first', provider: 'demo', action: 'echo', input: { name: 'first', lines: 1 } },
        { id: 'second', provider: 'demo', action: 'echo', input: { name: 'second', lines: 1 }, dependsOn: ['first'] },
      ],
    })
    workflowId = workflow.id
    await test.engine.workflows.wait(workflowId)
  })
  afterAll(() => test.close())

  it('lists jobs and workflows newest first in 004 task shape with pagination headers', async () => {
    const answer = await test.orchestrator('GET', '/tasks?limit=3', { token: test.adminToken })
    expect(answer.status).toBe(200)
    expect(answer.body.success).toBe(true)
    expect(answer.headers.get('x-total-count')).toBe('8')
    expect(answer.headers.get('x-limit')).toBe('3')
    expect(answer.headers.get('x-offset')).toBe('0')
    expect(answer.headers.get('link')).toBe('</tasks?limit=3&offset=3>; rel="next"')
    const [newest] = answer.body.data
    expect(Object.keys(newest).sort()).toEqual(
      ['args', 'command', 'completed_at', 'created_at', 'dependencies', 'error', 'id', 'kind', 'name', 'output', 'progress', 'started_at', 'status'].sort(),
    )
    expect(answer.body.data.map((task: any) => task.status)).toEqual(['Completed', 'Completed', 'Completed'])
  })

  it('pages through every task exactly once, following Link', async () => {
    const seen: string[] = []
    let path: string | undefined = '/tasks?limit=2'
    while (path) {
      const answer = await test.orchestrator('GET', path, { token: test.adminToken })
      seen.push(...answer.body.data.map((task: any) => task.id))
      path = /<([^>]+)>; rel="next"/.exec(answer.headers.get('link') ?? '')?.[1]
    }
    expect(seen).toHaveLength(8)
    expect(new Set(seen).size).toBe(8)
    expect(seen).toContain(workflowId)
    for (const id of ids) expect(seen).toContain(id)
    // Newest first: the first job submitted comes last.
    expect(seen.at(-1)).toBe(ids[0])
  })

  it('filters by 004 status', async () => {
    const failed = await test.orchestrator('GET', '/tasks?status=Failed', { token: test.adminToken })
    expect(failed.body.data.map((task: any) => task.id)).toEqual([ids[4]])
    expect(failed.body.data[0].error).toBe('job-4 failed on purpose')
    expect(failed.headers.get('x-total-count')).toBe('1')
  })

  it('answers one job with its whole output and one workflow with its operations output', async () => {
    const job = await test.orchestrator('GET', `/tasks/${ids[1]}`, { token: test.adminToken })
    expect(job.status).toBe(200)
    expect(job.body.data).toMatchObject({
      id: ids[1],
      kind: 'job',
      name: 'demo.echo',
      command: 'demo echo',
      status: 'Completed',
      output: 'job-1 line 0\njob-1 line 1\njob-1 line 2',
      error: null,
      dependencies: [],
    })
    expect(job.body.data.args).toEqual(['--name', 'job-1', '--lines', '3', '--ms', '0'])
    expect(Date.parse(job.body.data.completed_at)).toBeGreaterThanOrEqual(Date.parse(job.body.data.started_at))

    const workflow = await test.orchestrator('GET', `/tasks/${workflowId}`, { token: test.adminToken })
    expect(workflow.body.data).toMatchObject({
      kind: 'workflow',
      name: 'pair',
      status: 'Completed',
      output: '[first] first line 0\n[second] second line 0',
      progress: 100,
    })
  })

  it("names a workflow job's dependencies by the jobs of the operations it waited for", async () => {
    const workflow = await test.engine.workflows.get(workflowId)
    const [first, second] = workflow!.operations.map((operation) => operation.runs[0].jobId!)
    const answer = await test.orchestrator('GET', `/tasks/${second}`, { token: test.adminToken })
    expect(answer.body.data).toMatchObject({ name: 'second', dependencies: [first] })
  })

  it('refuses bad input, unknown ids, missing tokens and missing permissions in the envelope', async () => {
    for (const path of ['/tasks?limit=0', '/tasks?limit=1001', '/tasks?offset=-1', '/tasks?status=completed', '/tasks?limit=abc']) {
      const answer = await test.orchestrator('GET', path, { token: test.adminToken })
      expect(answer.status, path).toBe(400)
      expectEnvelopeError(answer.body)
    }
    const missing = await test.orchestrator('GET', '/tasks/no-such-task', { token: test.adminToken })
    expect(missing.status).toBe(404)
    expect(missing.body).toEqual({ success: false, error: 'No task "no-such-task"' })

    const anonymous = await test.orchestrator('GET', '/tasks')
    expect(anonymous.status).toBe(401)
    expectEnvelopeError(anonymous.body)

    await test.identity.roles.create({ name: 'auditor', permissions: ['audit:read'] })
    const { token } = await test.userWithToken('auditor-1', ['auditor'])
    const refused = await test.orchestrator('GET', '/tasks', { token })
    expect(refused.status).toBe(403)
    expectEnvelopeError(refused.body)
  })

  it('submits one job (extension) and answers its id; bad submissions are refused', async () => {
    const answer = await test.orchestrator('POST', '/tasks', {
      token: test.adminToken,
      body: { provider: 'demo', action: 'echo', input: { name: 'posted', lines: 1 }, retry: { attempts: 2, backoff_ms: 10 }, labels: { team: 'ops' } },
    })
    expect(answer.status).toBe(201)
    const id = answer.body.data
    const job = await test.engine.jobs.wait(id)
    expect(job).toMatchObject({ status: 'completed', retry: { attempts: 2, backoffMs: 10 }, labels: { team: 'ops' } })
    for (const body of [
      { provider: 'demo' },
      { provider: 'nope', action: 'echo' },
      { provider: 'demo', action: 'echo', input: { lines: -1 } },
      { provider: 'demo', action: 'echo', extra: 1 },
    ]) {
      const refused = await test.orchestrator('POST', '/tasks', { token: test.adminToken, body })
      expect(refused.status, JSON.stringify(body)).toBe(422)
      expectEnvelopeError(refused.body)
    }
    const viewer = await test.userWithToken('viewer-submit', ['viewer'])
    expect((await test.orchestrator('POST', '/tasks', { token: viewer.token, body: { provider: 'demo', action: 'echo' } })).status).toBe(403)
  })

  it('cancels a running job (extension) and reports it Cancelled', async () => {
    const job = await test.engine.jobs.submit({ provider: 'demo', action: 'wait', input: { ms: 60_000 } })
    await new Promise<void>((resolve) => {
      const check = async () => ((await test.engine.jobs.get(job.id))?.status === 'running' ? resolve() : setTimeout(check, 10))
      void check()
    })
    const answer = await test.orchestrator('POST', `/tasks/${job.id}/cancel`, { token: test.adminToken })
    expect(answer.status).toBe(200)
    expect(answer.body.data).toMatchObject({ id: job.id, status: 'Cancelled', output: 'waiting' })
    const viewer = await test.userWithToken('viewer-1', ['viewer'])
    const refused = await test.orchestrator('POST', `/tasks/${job.id}/cancel`, { token: viewer.token })
    expect(refused.status).toBe(403)
  })
})
