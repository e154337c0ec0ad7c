import { definePlugin, finalJobStatuses, type Engine, type EngineEvents, type Plugin } from '@provisio/engine'
import { Registry } from 'prom-client'
import { createCollectors } from './collectors'

export interface MetricsOptions {
  /** Prefix of every metric name. Default `orchestrator_`. */
  prefix?: string
  /** Registry to register the metrics in (e.g. one that already collects `collectDefaultMetrics`). A new one when omitted. */
  registry?: Registry
  /** Path of the exposition route. Default `/metrics`. */
  path?: string
  /** Surfaces of `@provisio/http` that serve the route; all when omitted. */
  surfaces?: string[]
  /** Histogram buckets in seconds, for task and workflow durations. */
  buckets?: number[]
}

export type MetricsPlugin = Plugin & {
  /** The registry holding the metrics, for an exposition of your own. */
  registry: Registry
}

export const defaultDurationBuckets = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]

type WorkflowStatus = Parameters<EngineEvents['workflow:status']>[0]['status']
const finalWorkflowStatuses: ReadonlySet<WorkflowStatus> = new Set(['completed', 'failed', 'cancelled', 'rolled_back'])

/**
 * Counts the engine's tasks (jobs), workflows and rollbacks into `registry` as they end, and
 * gauges its running and queued tasks at scrape time. Returns a function that stops counting and
 * takes the metrics out of the registry. The `metrics()` plugin is this plus a route; call it
 * directly to expose the figures on a route of your own.
 */
export function collectEngineMetrics(engine: Engine, options: { registry: Registry; prefix?: string; buckets?: number[] }): () => void {
  const collectors = createCollectors(engine, {
    prefix: options.prefix ?? 'orchestrator_',
    registry: options.registry,
    buckets: options.buckets ?? defaultDurationBuckets,
  })

  // Each node counts what it ran: the cluster's figures are the sum over its nodes.
  const onJobStatus: EngineEvents['job:status'] = ({ status, job }) => {
    if (engine.relaying) return
    if (status === 'retrying') collectors.taskRetries.inc({ provider: job.provider, action: job.action })
    if (!finalJobStatuses.has(status)) return
    collectors.tasksTotal.inc({ status })
    collectors.tasksByAction.inc({ provider: job.provider, action: job.action, status })
    // A job cancelled while queued never ran: it has no execution time to measure.
    if (job.startedAt && job.durationMs !== undefined) collectors.taskDuration.observe(job.durationMs / 1000)
  }
  const onWorkflowStatus: EngineEvents['workflow:status'] = ({ status, workflow }) => {
    if (engine.relaying) return
    if (!finalWorkflowStatuses.has(status)) return
    collectors.workflowsTotal.inc({ status })
    if (workflow.durationMs !== undefined) collectors.workflowDuration.observe(workflow.durationMs / 1000)
  }
  const onRollback: EngineEvents['rollback:completed'] = ({ rollback }) => {
    if (!engine.relaying) collectors.rollbacksTotal.inc({ success: String(rollback.success) })
  }

  engine.on('job:status', onJobStatus)
  engine.on('workflow:status', onWorkflowStatus)
  engine.on('rollback:completed', onRollback)
  return () => {
    engine.off('job:status', onJobStatus)
    engine.off('workflow:status', onWorkflowStatus)
    engine.off('rollback:completed', onRollback)
    // A registry shared with the rest of the app may outlive the engine: leave it as it was.
    collectors.unregister()
  }
}

/**
 * Prometheus metrics of the engine's tasks (jobs), workflows and rollbacks, and a
 * `GET /metrics` route serving them in the text exposition format.
 */
export function metrics(options: MetricsOptions = {}): MetricsPlugin {
  const registry = options.registry ?? new Registry()

  return {
    registry,
    ...definePlugin({
      name: 'metrics',
      setup(engine) {
        const stop = collectEngineMetrics(engine, { registry, prefix: options.prefix, buckets: options.buckets })
        engine.addRoute({
          method: 'GET',
          path: options.path ?? '/metrics',
          ...(options.surfaces ? { surfaces: options.surfaces } : {}),
          handler: async () => new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } }),
        })
        return stop
      },
    }),
  }
}
