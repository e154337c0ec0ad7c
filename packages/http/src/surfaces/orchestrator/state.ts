import { queueCounts, type ClusterNode } from '@provisio/plugins'
import type { SurfaceDeps } from '../../platform/surface-deps'
import { defineRoute, type RouteDefinition } from '../../platform/types'
import { directoryBytes, hostLoad } from './host-load'
import * as s from './schemas'
import { humanSize } from './views'

type ComponentStatus = 'Healthy' | 'Degraded' | 'Unhealthy'

const probeTimeoutMs = 2_000

/** Runs a probe with a deadline; its error (or the deadline) makes the component Unhealthy. */
async function probe<T>(check: () => Promise<T>): Promise<{ status: ComponentStatus; value?: T; error?: string }> {
  try {
    const value = await Promise.race([
      check(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${probeTimeoutMs} ms`)), probeTimeoutMs).unref()),
    ])
    return { status: 'Healthy', value }
  } catch (error) {
    return { status: 'Unhealthy', error: (error as Error).message }
  }
}

function nodeView(node: ClusterNode) {
  return {
    id: node.id,
    host: node.host,
    pid: node.pid,
    version: node.version,
    surfaces: node.surfaces,
    started_at: node.startedAt,
    last_heartbeat: node.heartbeatAt,
  }
}

/** `/state/*`: workflow progress and history, this host's load, each component's health, statistics. */
export function stateRoutes({ engine, providers, dataDir, cluster }: SurfaceDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/state/workflows/:id/progress',
      summary: "A workflow's progress, current step and estimated time remaining (seconds)",
      tags: ['state'],
      permission: 'state:read',
      resource: 'workflows/:id',
      action: 'read',
      params: s.idParams,
      // An unknown id is the engine's NotFoundError: a 404 through the engine-error mapper.
      handler: async ({ params }) => {
        const progress = await engine.workflows.progress(params.id)
        return {
          workflow_id: progress.workflowId,
          status: progress.status,
          progress: Math.round(progress.progress * 10) / 10,
          current_step: progress.currentStep ?? null,
          total_steps: progress.totalSteps,
          completed_steps: progress.completedSteps,
          estimated_time_remaining: progress.estimatedTimeRemaining,
        }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/state/workflows/:id/snapshots',
      summary: 'Every persisted transition of a workflow, oldest first',
      tags: ['state'],
      permission: 'state:read',
      resource: 'workflows/:id',
      action: 'read',
      params: s.idParams,
      handler: ({ params }) => engine.workflows.snapshots(params.id),
    }),
    defineRoute({
      method: 'GET',
      path: '/state/system/metrics',
      summary: "Workflow totals and this host's CPU (percent), memory (MB used), disk (percent used) and load",
      tags: ['state'],
      permission: 'state:read',
      resource: 'system',
      action: 'read',
      handler: async () => {
        const [stats, load, queue] = await Promise.all([engine.stats(), hostLoad(dataDir ?? process.cwd()), queueCounts(engine)])
        const byStatus = stats.workflows.byStatus
        return {
          total_workflows: stats.workflows.total,
          active_workflows: stats.workflows.active,
          completed_workflows: byStatus.completed,
          failed_workflows: byStatus.failed + byStatus.rolled_back,
          cancelled_workflows: byStatus.cancelled,
          running_tasks: queue.running,
          queued_tasks: queue.queued,
          system_load: load,
        }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/state/system/health',
      summary: 'Each component checked now: storage, queue, batch coordinator, monitoring, every provider, and the live nodes',
      tags: ['state'],
      permission: 'state:read',
      resource: 'system',
      action: 'read',
      handler: async () => {
        const [storage, queue, coordinator, nodes] = await Promise.all([
          probe(() => engine.storage.hasItem('orchestrator:health:probe')),
          probe(() => queueCounts(engine)),
          probe(async () => (await engine.workflows.list({ status: ['pending', 'running', 'rolling_back'], limit: 1 })).total),
          probe(() => cluster.nodes()),
        ])
        const providerDetails = [...engine.providers.keys()].map((name) => {
          const known = providers.find((provider) => provider.name === name)
          return { name, status: 'Healthy' as ComponentStatus, mode: known?.mode ?? 'live', endpoint: known?.endpoint ?? null }
        })
        const components: Record<string, ComponentStatus> = {
          storage: storage.status,
          queue: queue.status,
          batch_coordinator: coordinator.status,
          monitoring: 'Healthy',
          cluster: nodes.status,
          ...Object.fromEntries(providerDetails.map((provider) => [`provider:${provider.name}`, provider.status])),
        }
        const statuses = Object.values(components)
        const overall: ComponentStatus =
          storage.status === 'Unhealthy' ? 'Unhealthy' : statuses.every((status) => status === 'Healthy') ? 'Healthy' : 'Degraded'
        return {
          overall_status: overall,
          components,
          details: {
            storage: storage.error ?? null,
            queue: queue.value ?? queue.error,
            batch_coordinator: coordinator.value === undefined ? coordinator.error : { active_workflows: coordinator.value },
            providers: providerDetails,
            node: cluster.self.id,
            nodes: nodes.value?.map(nodeView) ?? nodes.error,
          },
          last_check: new Date().toISOString(),
        }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/state/statistics',
      summary: 'Workflow totals, snapshots of active workflows, storage usage and average workflow duration (seconds)',
      tags: ['state'],
      permission: 'state:read',
      resource: 'system',
      action: 'read',
      handler: async () => {
        const stats = await engine.stats()
        const active = await engine.workflows.list({ status: ['pending', 'running', 'rolling_back'], limit: 1000 })
        const snapshots = await Promise.all(active.items.map((workflow) => engine.workflows.snapshots(workflow.id)))
        const bytes = dataDir ? await directoryBytes(dataDir) : null
        return {
          total_workflows: stats.workflows.total,
          active_workflows: stats.workflows.active,
          active_snapshots: snapshots.reduce((sum, list) => sum + list.length, 0),
          storage_usage: bytes === null ? null : humanSize(bytes),
          storage_usage_bytes: bytes,
          average_workflow_duration: Math.round(stats.workflows.averageDurationMs / 100) / 10,
          success_rate: stats.workflows.successRate,
          checkpoints: stats.checkpoints.total,
        }
      },
    }),
  ]
}
