import type { Peer } from 'crossws'
import type { Engine, EngineEvents } from '@provisio/engine'
import type { Identity, Principal } from '../../identity'
import { ApiError } from '../../platform/errors'
import type { SurfaceDeps } from '../../platform/surface-deps'
import type { WebSocketRoute } from '../../platform/types'
import { taskStatusOfJob, taskStatusOfWorkflow } from './views'

/** 004's event envelope. `metadata.sequence` numbers the events a connection received, from 1. */
export interface OrchestratorEvent {
  event_type: string
  timestamp: string
  data: Record<string, unknown>
  metadata: Record<string, unknown>
}

type Published = { type: string; permission: string; data: Record<string, unknown>; metadata: Record<string, unknown> }

/**
 * Turns engine events into 004's events, each with the permission a client needs to see it.
 * `status` keeps the engine's lower case, as 004's event example shows; `task_status` is the
 * task casing of `GET /tasks`.
 */
function engineEventSource(engine: Engine, publish: (event: Published) => void): () => void {
  const handlers: { [K in keyof EngineEvents]?: EngineEvents[K] } = {
    'job:status': ({ id, status, previous, job }) =>
      publish({
        type: 'TaskStatusChanged',
        permission: 'jobs:read',
        data: {
          task_id: id,
          status,
          previous,
          task_status: taskStatusOfJob(status),
          provider: job.provider,
          action: job.action,
          workflow_id: job.labels.workflow ?? null,
          error: job.error?.message ?? null,
        },
        metadata: { task_id: id, status },
      }),
    'job:progress': ({ id, percent, step }) =>
      publish({ type: 'TaskProgress', permission: 'jobs:read', data: { task_id: id, progress: percent, step: step ?? null }, metadata: { task_id: id } }),
    'workflow:status': ({ id, status, previous, workflow }) =>
      publish({
        type: workflow.labels.source === 'batch' ? 'BatchStatusChanged' : 'WorkflowStatusChanged',
        permission: 'workflows:read',
        data: {
          workflow_id: id,
          name: workflow.name,
          status,
          previous,
          task_status: taskStatusOfWorkflow(status),
          progress: workflow.progress,
          error: workflow.error?.message ?? null,
        },
        metadata: { workflow_id: id, status },
      }),
    'workflow:operation': ({ id, operationId, status, previous, operation }) =>
      publish({
        type: 'OperationStatusChanged',
        permission: 'workflows:read',
        data: { workflow_id: id, operation_id: operationId, status, previous, progress: operation.progress, error: operation.error?.message ?? null },
        metadata: { workflow_id: id, operation_id: operationId, status },
      }),
    'workflow:progress': ({ id, progress, completedSteps, totalSteps, currentStep }) =>
      publish({
        type: 'WorkflowProgress',
        permission: 'workflows:read',
        data: { workflow_id: id, progress, completed_steps: completedSteps, total_steps: totalSteps, current_step: currentStep ?? null },
        metadata: { workflow_id: id },
      }),
    'rollback:completed': ({ rollback }) =>
      publish({
        type: 'RollbackCompleted',
        permission: 'rollback:read',
        data: {
          rollback_id: rollback.rollbackId,
          success: rollback.success,
          operations_executed: rollback.operationsExecuted,
          operations_failed: rollback.operationsFailed,
          workflow_id: rollback.workflowId ?? null,
          checkpoint_id: rollback.checkpointId ?? null,
        },
        metadata: { rollback_id: rollback.rollbackId },
      }),
    'checkpoint:created': ({ checkpoint }) =>
      publish({
        type: 'CheckpointCreated',
        permission: 'rollback:read',
        data: { checkpoint_id: checkpoint.id, name: checkpoint.name, operations_count: checkpoint.operations_count },
        metadata: { checkpoint_id: checkpoint.id },
      }),
    'checkpoint:restored': ({ checkpointId, restored, removed }) =>
      publish({
        type: 'CheckpointRestored',
        permission: 'rollback:read',
        data: { checkpoint_id: checkpointId, restored, removed },
        metadata: { checkpoint_id: checkpointId },
      }),
  }
  const entries = Object.entries(handlers) as [keyof EngineEvents, (...args: any[]) => void][]
  for (const [name, handler] of entries) engine.on(name, handler)
  return () => {
    for (const [name, handler] of entries) engine.off(name, handler)
  }
}

interface Subscriber {
  peer: Peer
  principal: Principal
  sequence: number
}

/**
 * The `/ws` route: every connected client receives, in the order the engine raised them, the
 * events its roles let it see. One engine subscription serves every client of the surface.
 */
export function eventStreamRoute({ engine, identity }: SurfaceDeps): WebSocketRoute {
  const subscribers = new Map<string, Subscriber>()
  let unsubscribe: (() => void) | undefined

  const broadcast = (event: Published) => {
    const timestamp = new Date().toISOString()
    for (const subscriber of subscribers.values()) {
      if (!identity.can(subscriber.principal, event.permission)) continue
      subscriber.sequence++
      const message: OrchestratorEvent = { event_type: event.type, timestamp, data: event.data, metadata: { ...event.metadata, sequence: subscriber.sequence } }
      subscriber.peer.send(JSON.stringify(message))
    }
  }
  const leave = (peer: Peer) => {
    subscribers.delete(peer.id)
    if (subscribers.size === 0 && unsubscribe) {
      unsubscribe()
      unsubscribe = undefined
    }
  }

  return {
    path: '/ws',
    summary: 'Live events (tasks, workflows, batches, rollbacks, checkpoints) as {event_type, timestamp, data, metadata}; token as ?token= or Bearer',
    hooks: (_event, principal) => {
      requireEventsPermission(identity, principal)
      return {
        open: (peer) => {
          subscribers.set(peer.id, { peer, principal: principal!, sequence: 0 })
          unsubscribe ??= engineEventSource(engine, broadcast)
          peer.send(
            JSON.stringify({ event_type: 'Connected', timestamp: new Date().toISOString(), data: { user: principal!.username }, metadata: { sequence: 0 } }),
          )
        },
        close: leave,
        error: leave,
      }
    },
  }
}

function requireEventsPermission(identity: Identity, principal: Principal | undefined): void {
  if (!principal || !identity.can(principal, 'events:read')) throw new ApiError(403, 'Permission denied: events:read is required')
}
