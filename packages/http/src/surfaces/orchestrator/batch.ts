import type { OperationSpec, WorkflowSubmission } from '@provisio/engine'
import { ApiError } from '../../platform/errors'
import { pageAnswer } from '../../middleware/pagination'
import type { SurfaceDeps } from '../../platform/surface-deps'
import { defineRoute, type RouteDefinition } from '../../platform/types'
import * as s from './schemas'
import { batchView, workflowStatusesOf } from './views'

type BatchOperation = s.BatchBody['operations'][number]

/** A 004 batch operation as an engine operation: items from `server_configs`, `taskservs` or `items`. */
function toOperation(operation: BatchOperation, resolveAction: (operation: BatchOperation) => string): OperationSpec {
  const items = operation.items ?? operation.server_configs ?? operation.taskservs
  return {
    id: operation.id,
    provider: operation.provider,
    action: resolveAction(operation),
    ...(operation.input ? { input: operation.input } : {}),
    dependsOn: operation.dependencies,
    ...(operation.when ? { when: operation.when } : {}),
    ...(items ? { items } : {}),
    ...(operation.type ? { type: operation.type } : {}),
    ...(operation.retry ? { retry: operation.retry } : {}),
    ...(operation.timeout_ms ? { timeoutMs: operation.timeout_ms } : {}),
  }
}

/** A 004 batch body as an engine workflow submission. */
export function toWorkflowSubmission(body: s.BatchBody, resolveAction: (operation: BatchOperation) => string): WorkflowSubmission {
  return {
    name: body.name,
    ...(body.version ? { version: body.version } : {}),
    ...(body.parallel_limit ? { parallelLimit: body.parallel_limit } : {}),
    rollbackEnabled: body.rollback_enabled,
    labels: { source: 'batch', ...(body.storage_backend ? { storage_backend: body.storage_backend } : {}) },
    operations: body.operations.map((operation) => toOperation(operation, resolveAction)),
  }
}

/** `/batch/*`: batches are engine workflows; each request counts against the `batch` rate limit. */
export function batchRoutes({ engine }: SurfaceDeps): RouteDefinition[] {
  const batchOrThrow = async (id: string) => {
    const workflow = await engine.workflows.get(id)
    if (!workflow) throw new ApiError(404, `No batch operation "${id}"`)
    return workflow
  }
  const resolveAction = (operation: BatchOperation): string => {
    if (operation.action) return operation.action
    throw new ApiError(422, `Operation "${operation.id}": give the provider action to run ("action")`)
  }

  return [
    defineRoute({
      method: 'POST',
      path: '/batch/execute',
      summary: 'Validate and start a batch: operations over a dependency DAG, with a parallel limit and rollback',
      tags: ['batch'],
      permission: 'batch:execute',
      resource: 'batch',
      action: 'execute',
      rateLimit: 'batch',
      body: s.batchBody,
      handler: async ({ body }) => batchView(await engine.workflows.submit(toWorkflowSubmission(body, resolveAction))),
    }),
    defineRoute({
      method: 'GET',
      path: '/batch/operations',
      summary: 'List batch operations, newest first',
      tags: ['batch'],
      permission: 'batch:read',
      resource: 'batch',
      action: 'read',
      rateLimit: 'batch',
      query: s.batchListQuery,
      handler: async (ctx) => {
        const { status, name, limit, offset } = ctx.query
        const page = await engine.workflows.list({ status: status ? workflowStatusesOf[status] : undefined, name, limit, offset })
        return pageAnswer(page, ctx.query, ctx, batchView)
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/batch/operations/:id',
      summary: 'A batch operation and each of its operations',
      tags: ['batch'],
      permission: 'batch:read',
      resource: 'batch/:id',
      action: 'read',
      rateLimit: 'batch',
      params: s.idParams,
      handler: async ({ params }) => batchView(await batchOrThrow(params.id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/batch/operations/:id/cancel',
      summary: 'Cancel a running batch: running jobs are cancelled, pending operations skipped, then rolled back if enabled',
      tags: ['batch'],
      permission: 'batch:cancel',
      resource: 'batch/:id',
      action: 'cancel',
      rateLimit: 'batch',
      params: s.idParams,
      handler: async ({ params }) => {
        await batchOrThrow(params.id)
        await engine.workflows.cancel(params.id)
        return 'Operation cancelled'
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/batch/operations/:id/retry',
      summary: 'Run the failed, skipped and cancelled operations of a batch again (extension)',
      tags: ['batch'],
      permission: 'batch:execute',
      resource: 'batch/:id',
      action: 'retry',
      rateLimit: 'batch',
      params: s.idParams,
      handler: async ({ params }) => {
        await batchOrThrow(params.id)
        return batchView(await engine.workflows.retry(params.id))
      },
    }),
  ]
}
