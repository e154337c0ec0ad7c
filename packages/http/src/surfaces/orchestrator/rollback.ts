import { found } from '../../platform/errors'
import type { SurfaceDeps } from '../../platform/surface-deps'
import { defineRoute, type RouteDefinition } from '../../platform/types'
import * as s from './schemas'
import { checkpointView, rollbackView } from './views'

/** `/rollback/*`: checkpoints of the engine's ledger of completed operations, and rollbacks that undo them. */
export function rollbackRoutes({ engine }: SurfaceDeps): RouteDefinition[] {
  const checkpointOrThrow = (id: string) => found(engine.checkpoints.get(id), `checkpoint "${id}"`)

  return [
    defineRoute({
      method: 'POST',
      path: '/rollback/checkpoints',
      summary: 'Create a checkpoint: what has completed so far, to roll back to later',
      tags: ['rollback'],
      permission: 'rollback:create',
      resource: 'rollback/checkpoints',
      action: 'create',
      status: 201,
      body: s.checkpointBody,
      handler: async ({ body }) => (await engine.checkpoints.create({ name: body.name, description: body.description })).id,
    }),
    defineRoute({
      method: 'GET',
      path: '/rollback/checkpoints',
      summary: 'List checkpoints, newest first',
      tags: ['rollback'],
      permission: 'rollback:read',
      resource: 'rollback/checkpoints',
      action: 'read',
      handler: async () => (await engine.checkpoints.list()).map(checkpointView),
    }),
    defineRoute({
      method: 'GET',
      path: '/rollback/checkpoints/:id',
      summary: 'A checkpoint',
      tags: ['rollback'],
      permission: 'rollback:read',
      resource: 'rollback/checkpoints/:id',
      action: 'read',
      params: s.idParams,
      handler: async ({ params }) => checkpointView(await checkpointOrThrow(params.id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/rollback/execute',
      summary: 'Undo every operation completed after a checkpoint, or the listed operations, newest first',
      tags: ['rollback'],
      permission: 'rollback:execute',
      resource: 'rollback',
      action: 'execute',
      body: s.rollbackBody,
      handler: async ({ body }) =>
        rollbackView(
          await engine.rollback(
            'checkpoint_id' in body ? { checkpointId: body.checkpoint_id } : { operationIds: body.operation_ids, workflowId: body.workflow_id },
          ),
        ),
    }),
    defineRoute({
      method: 'POST',
      path: '/rollback/restore/:id',
      summary: "Put the workflows' records back as they were at a checkpoint (undoes nothing at providers)",
      tags: ['rollback'],
      permission: 'rollback:restore',
      resource: 'rollback/checkpoints/:id',
      action: 'restore',
      params: s.idParams,
      handler: async ({ params }) => {
        await checkpointOrThrow(params.id)
        await engine.checkpoints.restore(params.id)
        return `State restored from checkpoint ${params.id}`
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/rollback/statistics',
      summary: 'Checkpoints and rollbacks: totals, success rate (percent) and average rollback time (seconds)',
      tags: ['rollback'],
      permission: 'rollback:read',
      resource: 'rollback',
      action: 'read',
      handler: async () => {
        const { rollbacks, checkpoints } = await engine.stats()
        return {
          total_checkpoints: checkpoints.total,
          total_rollbacks: rollbacks.total,
          successful_rollbacks: rollbacks.succeeded,
          failed_rollbacks: rollbacks.failed,
          success_rate: rollbacks.successRate,
          average_rollback_time: Math.round(rollbacks.averageDurationMs / 100) / 10,
          operations_executed: rollbacks.operationsExecuted,
          operations_failed: rollbacks.operationsFailed,
        }
      },
    }),
  ]
}
