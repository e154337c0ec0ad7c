import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startOrchestrator } from '../helpers'
import { demoProvider } from './fixtures'

type Test = Awaited<ReturnType<typeof startOrchestrator>>

/** A connected `/ws` client that keeps every event it receives. */
async function connect(test: Test, token: string) {
  const url = `${test.orchestratorBase.replace('http', 'ws')}/ws?token=${token}`
  const socket = new WebSocket(url)
  const events: any[] = []
  socket.on('message', (data) => events.push(JSON.parse(String(data))))
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.on('message', () => resolve())
  })
  return {
    socket,
    events,
    async until(predicate: (events: any[]) => boolean, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (!predicate(events)) {
        if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(events.map((event) => event.event_type))}`)
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    },
  }
}

/** The HTTP status of a refused upgrade. */
function refusedStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers })
    socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
    socket.on('open', () => reject(new Error('upgrade accepted')))
    socket.on('error', () => {})
  })
}

describe('orchestrator /metrics and /ws', () => {
  let test: Test
  beforeAll(async () => {
    test = await startOrchestrator({ engine: { providers: [demoProvider()] } })
  })
  afterAll(() => test.close())

  it('serves Prometheus text with 004 task metrics, HTTP request metrics and queue gauges', async () => {
    for (const fail of [false, false, true]) {
      const job = await test.engine.jobs.submit({ provider: 'demo', action: 'echo', input: { fail } })
      await test.engine.jobs.wait(job.id)
    }
    await test.orchestrator('GET', '/tasks', { token: test.adminToken })
    const response = await fetch(`${test.orchestratorBase}/metrics`, { headers: { authorization: `Bearer ${test.adminToken}` } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const families = new Map(parsePrometheusTextFormat(await response.text()).map((family) => [family.name, family]))

    const tasks = families.get('orchestrator_tasks_total')!
    expect(tasks.type).toBe('COUNTER')
    const byStatus = Object.fromEntries(tasks.metrics.map((sample) => [sample.labels!.status, Number(sample.value)]))
    expect(byStatus).toEqual({ completed: 2, failed: 1 })

    const duration = families.get('orchestrator_task_duration_seconds')!
    expect(duration.type).toBe('HISTOGRAM')
    expect(Number(duration.metrics[0].count)).toBe(3)
    expect(Number(duration.metrics[0].buckets!['10'])).toBe(3)

    expect(families.get('orchestrator_tasks_running')!.metrics[0].value).toBe('0')
    expect(families.get('orchestrator_tasks_queued')!.metrics[0].value).toBe('0')

    const requests = families.get('http_requests_total')!
    expect(requests.metrics).toContainEqual({ value: '1', labels: { surface: 'orchestrator', method: 'GET', route: '/tasks', status: '200' } })
    expect(families.get('http_request_duration_seconds')!.type).toBe('HISTOGRAM')
  })

  it('needs a token for /metrics', async () => {
    const response = await fetch(`${test.orchestratorBase}/metrics`)
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ success: false })
  })

  it('streams task, workflow and checkpoint events in order to every client, late ones included', async () => {
    const early = await connect(test, test.adminToken)
    const job = await test.engine.jobs.submit({ provider: 'demo', action: 'echo', input: { name: 'watched' } })
    await test.engine.jobs.wait(job.id)
    const late = await connect(test, test.adminToken)

    const workflow = await test.engine.workflows.submit({ name: 'evented', operations: [{ id: 'one', provider: 'demo', action: 'echo' }] })
    await test.engine.workflows.wait(workflow.id)
    await test.orchestrator('POST', '/rollback/checkpoints', { token: test.adminToken, body: { name: 'cp' } })

    const done = (events: any[]) => events.some((event) => event.event_type === 'CheckpointCreated')
    await early.until(done)
    await late.until(done)

    const taskEvents = early.events.filter((event) => event.event_type === 'TaskStatusChanged' && event.data.task_id === job.id)
    expect(taskEvents.map((event) => event.data.status)).toEqual(['pending', 'running', 'completed'])
    expect(taskEvents.at(-1)).toMatchObject({ metadata: { task_id: job.id, status: 'completed' }, data: { task_status: 'Completed' } })
    expect(Date.parse(taskEvents.at(-1).timestamp)).not.toBeNaN()

    for (const client of [early, late]) {
      const sequences = client.events.map((event) => event.metadata.sequence)
      expect(sequences).toEqual(sequences.map((_, index) => index))
      const workflowStatuses = client.events.filter((event) => event.event_type === 'WorkflowStatusChanged').map((event) => event.data.status)
      expect(workflowStatuses.at(-1)).toBe('completed')
      expect(client.events.some((event) => event.event_type === 'OperationStatusChanged' && event.data.operation_id === 'one')).toBe(true)
    }
    // The late client heard nothing of the job that ended before it connected.
    expect(late.events.some((event) => event.data?.task_id === job.id)).toBe(false)
    early.socket.close()
    late.socket.close()
  })

  it('sends a client only the events its roles let it see', async () => {
    await test.identity.roles.create({ name: 'task-watcher', permissions: ['events:read', 'jobs:read'] })
    const { token } = await test.userWithToken('watcher', ['task-watcher'])
    const client = await connect(test, token)
    const workflow = await test.engine.workflows.submit({ name: 'hidden', operations: [{ id: 'op', provider: 'demo', action: 'echo' }] })
    await test.engine.workflows.wait(workflow.id)
    await client.until((events) => events.filter((event) => event.event_type === 'TaskStatusChanged').length >= 2)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(client.events.some((event) => event.event_type.startsWith('Workflow') || event.event_type === 'OperationStatusChanged')).toBe(false)
    client.socket.close()
  })

  it('refuses a missing or bad token and a caller without events:read at the handshake', async () => {
    const url = `${test.orchestratorBase.replace('http', 'ws')}/ws`
    expect(await refusedStatus(url)).toBe(401)
    expect(await refusedStatus(`${url}?token=forged.token.value`)).toBe(401)
    await test.identity.roles.create({ name: 'no-events', permissions: ['jobs:read'] })
    const { token } = await test.userWithToken('blind', ['no-events'])
    expect(await refusedStatus(`${url}?token=${token}`)).toBe(403)
    // The Authorization header works as well as ?token=.
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${test.adminToken}` } })
    const first = await new Promise<any>((resolve, reject) => {
      socket.once('message', (data) => resolve(JSON.parse(String(data))))
      socket.once('error', reject)
    })
    expect(first.event_type).toBe('Connected')
    socket.close()
  })
})

describe('orchestrator /ws when the server closes', () => {
  it('says goodbye (1001) to connected clients instead of waiting for them', async () => {
    const test = await startOrchestrator()
    const client = await connect(test, test.adminToken)
    const closed = new Promise<number>((resolve) => client.socket.on('close', (code) => resolve(code)))
    await test.server.close()
    expect(await closed).toBe(1001)
    await test.close()
  })
})
