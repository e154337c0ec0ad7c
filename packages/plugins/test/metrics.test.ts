import type { Engine, EngineEvents } from '@provisio/engine'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { metrics } from '../src'
import { runJob, startEngine, waitFor } from './helpers'

/** Samples of a Prometheus text exposition: `name{labels}` → value. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    samples.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return samples
}

async function scrape(engine: Engine, path = '/metrics') {
  const route = engine.routes.find((candidate) => candidate.path === path && candidate.method === 'GET')!
  const response = await route.handler(new Request(`http://127.0.0.1${path}`))
  const text = await response.text()
  return { response, text, samples: parseExposition(text) }
}

describe('metrics', () => {
  it('counts ended tasks by status and action and times them, in the exposition format', async () => {
    const engine = await startEngine({ plugins: [metrics()] })
    await runJob(engine, 'echo')
    await runJob(engine, 'echo')
    await runJob(engine, 'fail')
    await runJob(engine, 'flaky', { failures: 1 }, { retry: { attempts: 2, backoffMs: 1 } })

    const { response, text, samples } = await scrape(engine)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(text).toContain('# TYPE orchestrator_tasks_total counter')
    expect(text).toContain('# TYPE orchestrator_task_duration_seconds histogram')
    expect(samples.get('orchestrator_tasks_total{status="completed"}')).toBe(3)
    expect(samples.get('orchestrator_tasks_total{status="failed"}')).toBe(1)
    expect(samples.get('orchestrator_tasks_by_action_total{provider="test",action="echo",status="completed"}')).toBe(2)
    expect(samples.get('orchestrator_tasks_by_action_total{provider="test",action="fail",status="failed"}')).toBe(1)
    expect(samples.get('orchestrator_task_retries_total{provider="test",action="flaky"}')).toBe(1)
    // Test jobs take milliseconds: every one falls in the buckets of 004's example.
    expect(samples.get('orchestrator_task_duration_seconds_bucket{le="10"}')).toBe(4)
    expect(samples.get('orchestrator_task_duration_seconds_bucket{le="30"}')).toBe(4)
    expect(samples.get('orchestrator_task_duration_seconds_bucket{le="+Inf"}')).toBe(4)
    expect(samples.get('orchestrator_task_duration_seconds_count')).toBe(4)
    expect(samples.get('orchestrator_tasks_running')).toBe(0)
    expect(samples.get('orchestrator_tasks_queued')).toBe(0)
  })

  it('reports running and queued tasks at scrape time', async () => {
    const engine = await startEngine({ concurrency: 1, plugins: [metrics()] })
    const running = await engine.jobs.submit({ provider: 'test', action: 'hold', input: {} })
    const queued = await engine.jobs.submit({ provider: 'test', action: 'hold', input: {} })
    // The gauges read the job indexes, which follow a status change once it is stored.
    await waitFor(async () => (await scrape(engine)).samples.get('orchestrator_tasks_running') === 1)
    expect((await engine.jobs.get(running.id))?.status).toBe('running')
    expect((await scrape(engine)).samples.get('orchestrator_tasks_queued')).toBe(1)

    // A job cancelled while queued never ran: it counts as cancelled but has no duration.
    await engine.jobs.cancel(queued.id)
    await engine.jobs.cancel(running.id)
    await waitFor(async () => {
      const { samples } = await scrape(engine)
      return samples.get('orchestrator_tasks_running') === 0 && samples.get('orchestrator_tasks_queued') === 0
    })
    const after = (await scrape(engine)).samples
    expect(after.get('orchestrator_tasks_total{status="cancelled"}')).toBe(2)
    expect(after.get('orchestrator_task_duration_seconds_count')).toBe(1)
  })

  it('counts workflows and rollbacks from their events', async () => {
    const engine = await startEngine({ plugins: [metrics({ buckets: [1, 10] })] })
    const workflow = {
      id: 'wf-1',
      name: 'deploy',
      status: 'running',
      rollbackEnabled: true,
      labels: {},
      createdAt: new Date().toISOString(),
      attempt: 1,
      cancelRequested: false,
      progress: 50,
    } as const
    const emit = (event: Parameters<EngineEvents['workflow:status']>[0]) => engine.emit('workflow:status', event)
    emit({ id: 'wf-1', status: 'running', previous: 'pending', workflow })
    emit({ id: 'wf-1', status: 'completed', previous: 'running', workflow: { ...workflow, status: 'completed', durationMs: 4000 } })
    emit({ id: 'wf-2', status: 'rolled_back', previous: 'rolling_back', workflow: { ...workflow, id: 'wf-2', status: 'rolled_back', durationMs: 20_000 } })
    const rollback = {
      rollbackId: 'rb-1',
      success: true,
      operationsExecuted: 2,
      operationsFailed: 0,
      notReversible: [],
      errors: [],
      duration: 1.5,
      startedAt: new Date().toISOString(),
    }
    engine.emit('rollback:completed', { rollback })

    const { samples } = await scrape(engine)
    expect(samples.get('orchestrator_workflows_total{status="completed"}')).toBe(1)
    expect(samples.get('orchestrator_workflows_total{status="rolled_back"}')).toBe(1)
    expect(samples.has('orchestrator_workflows_total{status="running"}')).toBe(false)
    expect(samples.get('orchestrator_workflow_duration_seconds_bucket{le="10"}')).toBe(1)
    expect(samples.get('orchestrator_workflow_duration_seconds_bucket{le="+Inf"}')).toBe(2)
    expect(samples.get('orchestrator_rollbacks_total{success="true"}')).toBe(1)
  })

  it('uses a given prefix, path and registry, and leaves the registry as it was on stop', async () => {
    const registry = new Registry()
    const plugin = metrics({ prefix: 'provisio_', registry, path: '/internal/metrics', surfaces: ['control-center'] })
    expect(plugin.registry).toBe(registry)
    const engine = await startEngine({ plugins: [plugin] })
    await runJob(engine, 'echo')

    expect(engine.routes.find((route) => route.path === '/internal/metrics')?.surfaces).toEqual(['control-center'])
    expect((await scrape(engine, '/internal/metrics')).samples.get('provisio_tasks_total{status="completed"}')).toBe(1)
    expect((await registry.getMetricsAsJSON()).map((metric) => metric.name)).toContain('provisio_tasks_total')

    await engine.stop()
    expect(await registry.getMetricsAsJSON()).toEqual([])
    // So a new engine can register its metrics in the same registry.
    const next = await startEngine({ plugins: [metrics({ prefix: 'provisio_', registry })] })
    expect((await scrape(next)).samples.get('provisio_tasks_running')).toBe(0)
  })
})
