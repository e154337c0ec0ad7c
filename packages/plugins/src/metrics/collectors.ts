import type { Engine } from '@provisio/engine'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { queueCounts } from '../cluster/queue'

/** Every metric the plugin keeps, registered in one registry. */
export interface EngineCollectors {
  tasksTotal: Counter<'status'>
  tasksByAction: Counter<'provider' | 'action' | 'status'>
  taskRetries: Counter<'provider' | 'action'>
  taskDuration: Histogram
  workflowsTotal: Counter<'status'>
  workflowDuration: Histogram
  rollbacksTotal: Counter<'success'>
  /** Takes every one of these metrics out of the registry. */
  unregister: () => void
}

export interface CollectorOptions {
  prefix: string
  registry: Registry
  buckets: number[]
}

export function createCollectors(engine: Engine, { prefix, registry, buckets }: CollectorOptions): EngineCollectors {
  const registers = [registry]
  const names: string[] = []
  const named = (suffix: string) => {
    names.push(`${prefix}${suffix}`)
    return `${prefix}${suffix}`
  }

  const collectors = {
    tasksTotal: new Counter({ name: named('tasks_total'), help: 'Total number of tasks that ended, by final status', labelNames: ['status'], registers }),
    tasksByAction: new Counter({
      name: named('tasks_by_action_total'),
      help: 'Tasks that ended, by provider, action and final status',
      labelNames: ['provider', 'action', 'status'],
      registers,
    }),
    taskRetries: new Counter({
      name: named('task_retries_total'),
      help: 'Task attempts that failed and will be retried',
      labelNames: ['provider', 'action'],
      registers,
    }),
    taskDuration: new Histogram({ name: named('task_duration_seconds'), help: 'Task execution duration', buckets, registers }),
    workflowsTotal: new Counter({ name: named('workflows_total'), help: 'Workflows (batches) that ended, by final status', labelNames: ['status'], registers }),
    workflowDuration: new Histogram({ name: named('workflow_duration_seconds'), help: 'Workflow execution duration', buckets, registers }),
    rollbacksTotal: new Counter({ name: named('rollbacks_total'), help: 'Rollbacks run, by whether every undo succeeded', labelNames: ['success'], registers }),
  }
  // Gauges read the job indexes at scrape time, so they count jobs restored from storage too;
  // a status change shows once the engine has stored it.
  new Gauge({
    name: named('tasks_running'),
    help: 'Tasks running now',
    registers,
    async collect() {
      this.set((await queueCounts(engine)).running)
    },
  })
  new Gauge({
    name: named('tasks_queued'),
    help: 'Tasks waiting to run (pending or backing off before a retry)',
    registers,
    async collect() {
      this.set((await queueCounts(engine)).queued)
    },
  })
  return { ...collectors, unregister: () => names.forEach((name) => registry.removeSingleMetric(name)) }
}
