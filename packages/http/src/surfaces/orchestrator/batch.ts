import type { OperationSpec, WorkflowSubmission } from '@provisio/engine'
import { ApiError, found, type ValidationIssue } from '../../platform/errors'
import { serverDrivers } from '../../workspaces'
import { serverSettings } from '../../workspaces/settings'
import { pageAnswer } from '../../middleware/pagination'
import type { SurfaceDeps } from '../../platform/surface-deps'
import { defineRoute, type RouteDefinition } from '../../platform/types'
import * as s from './schemas'
import { batchView, workflowStatusesOf } from './views'

type BatchOperation = s.BatchBody['operations'][number]

/**
 * A `server_batch` without an `action`: each of `server_configs` (`name`, `plan`, `zone` and the
 * provider's own fields, as in an infra's settings) becomes the input of the provider's create
 * action, waiting until the server is ready.
 */
function serverBatch(operation: BatchOperation, position: number): Pick<OperationSpec, 'action' | 'items' | 'itemsAs'> {
  const driver = serverDrivers.get(operation.provider)
  if (!driver) {
    throw new ApiError(
      422,
      `Operation "${operation.id}": a server_batch without "action" creates servers with ${[...serverDrivers.keys()].join(', ')}, not "${operation.provider}"; or give the provider action to run`,
    )
  }
  if (!operation.server_configs?.length) throw new ApiError(422, `Operation "${operation.id}": a server_batch lists its servers in "server_configs"`)
  const issues: ValidationIssue[] = []
  const steps = operation.server_configs.map((config, item) => {
    const parsed = serverSettings.safeParse({ ...config, provider: operation.provider })
    if (parsed.success) return driver.createSteps(parsed.data, { wait: true })
    for (const issue of parsed.error.issues)
      issues.push({ loc: ['body', 'operations', position, 'server_configs', item, ...issue.path.map(String)], msg: issue.message, type: issue.code })
    return []
  })
  if (issues.length)
    throw new ApiError(422, `Operation "${operation.id}": ${issues.map((issue) => `${issue.loc.slice(3).join('.')}: ${issue.msg}`).join('; ')}`, {
      code: 'validation_failed',
      issues,
    })
  // One job per server: a provider that needs several actions per server (tart: clone, then run) takes servers/create instead.
  if (steps.some((list) => list.length !== 1)) {
    throw new ApiError(422, `Operation "${operation.id}": ${operation.provider} creates a server in several steps; use POST /workflows/servers/create for it`)
  }
  return { action: steps[0][0].action, items: steps.map((list) => list[0].input), itemsAs: 'input' }
}

/** A 004 batch operation as an engine operation: items from `server_configs`, `taskservs` or `items`. */
function toOperation(operation: BatchOperation, position: number): OperationSpec {
  const items = operation.items ?? operation.server_configs ?? operation.taskservs
  const batch =
    operation.action !== undefined
      ? { action: operation.action, ...(items ? { items } : {}) }
      : operation.type === 'server_batch'
        ? serverBatch(operation, position)
        : undefined
  if (!batch) {
    throw new ApiError(
      422,
      `Operation "${operation.id}": give the provider action to run ("action"); only a server_batch has a default (its provider's create action)`,
    )
  }
  return {
    id: operation.id,
    provider: operation.provider,
    ...batch,
    ...(operation.input ? { input: operation.input } : {}),
    dependsOn: operation.dependencies,
    ...(operation.when ? { when: operation.when } : {}),
    ...(operation.type ? { type: operation.type } : {}),
    ...(operation.retry ? { retry: operation.retry } : {}),
    ...(operation.timeout_ms ? { timeoutMs: operation.timeout_ms } : {}),
  }
}

/** A 004 batch body as an engine workflow submission. */
export function toWorkflowSubmission(body: s.BatchBody): WorkflowSubmission {
  return {
    name: body.name,
    ...(body.version ? { version: body.version } : {}),
    ...(body.parallel_limit ? { parallelLimit: body.parallel_limit } : {}),
    rollbackEnabled: body.rollback_enabled,
    labels: { source: 'batch', ...(body.storage_backend ? { storage_backend: body.storage_backend } : {}) },
    operations: body.operations.map(toOperation),
  }
}

/** `/batch/*`: batches are engine workflows; each request counts against the `batch` rate limit. */
export function batchRoutes({ engine }: SurfaceDeps): RouteDefinition[] {
  const batchOrThrow = (id: string) => found(engine.workflows.get(id), `batch operation "${id}"`)

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
      handler: async ({ body }) => batchView(await engine.workflows.submit(toWorkflowSubmission(body))),
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
