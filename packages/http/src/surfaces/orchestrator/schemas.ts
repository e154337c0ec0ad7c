import { z } from 'zod'
import { paginationQuery } from '../../middleware/pagination'
import { taskStatuses } from './views'

export const idParams = z.object({ id: z.string().min(1).max(200).describe('Identifier') })

export const taskListQuery = paginationQuery.extend({
  status: z.enum(taskStatuses).optional().describe('Only tasks in this status (004 casing: Pending, Running, Completed, Failed, Cancelled)'),
})

export const taskView = z.object({
  id: z.string(),
  kind: z.enum(['job', 'workflow']).describe('Extension: an engine job or an engine workflow'),
  name: z.string(),
  command: z.string(),
  args: z.array(z.string()),
  dependencies: z.array(z.string()),
  status: z.enum(taskStatuses),
  created_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  output: z.string().nullable().describe('What the task logged so far (in a list: its last 100 lines)'),
  error: z.string().nullable(),
  progress: z.number().describe('Extension: percentage done'),
})

/** 004's snake_case retry policy, read into the engine's `RetryPolicy`. */
export const retryPolicy = z
  .object({
    attempts: z.number().int().min(1).max(1000),
    backoff_ms: z.number().int().min(0).optional(),
    factor: z.number().min(1).optional(),
    max_backoff_ms: z.number().int().min(0).optional(),
  })
  .strict()
  .transform(({ attempts, backoff_ms, factor, max_backoff_ms }) => ({
    attempts,
    ...(backoff_ms === undefined ? {} : { backoffMs: backoff_ms }),
    ...(factor === undefined ? {} : { factor }),
    ...(max_backoff_ms === undefined ? {} : { maxBackoffMs: max_backoff_ms }),
  }))

export const taskSubmission = z
  .object({
    provider: z.string().min(1).max(100),
    action: z.string().min(1).max(200),
    input: z.unknown().optional(),
    timeout_ms: z.number().int().min(1).optional(),
    retry: retryPolicy.optional(),
    concurrency_key: z.string().min(1).max(200).optional(),
    labels: z.record(z.string().min(1).max(100), z.string().max(500)).optional(),
  })
  .strict()

const batchOperation = z
  .object({
    id: z.string().min(1).max(200),
    type: z.string().min(1).max(100).optional().describe('server_batch, taskserv_batch, or a free-form kind when `action` is given'),
    provider: z.string().min(1).max(100),
    action: z.string().min(1).max(200).optional().describe('Extension: the provider action; defaults from `type`'),
    input: z.record(z.string(), z.unknown()).optional().describe('Extension: the action input shared by every item'),
    dependencies: z.array(z.string().min(1).max(200)).default([]),
    when: z.enum(['success', 'failure', 'always']).optional().describe('Extension: run once the dependencies succeeded (default), failed, or always'),
    server_configs: z.array(z.record(z.string(), z.unknown())).optional(),
    taskservs: z.array(z.union([z.string().min(1), z.record(z.string(), z.unknown())])).optional(),
    items: z.array(z.unknown()).optional().describe('Extension: batch items for an explicit `action`'),
    retry: retryPolicy.optional(),
    timeout_ms: z.number().int().min(1).optional(),
  })
  .strict()

export const batchBody = z
  .object({
    name: z.string().min(1).max(200),
    version: z.string().min(1).max(50).optional(),
    storage_backend: z.string().min(1).max(50).optional().describe('Accepted and reported; the engine keeps batches in its own storage'),
    parallel_limit: z.number().int().positive().max(10_000).optional(),
    rollback_enabled: z.boolean().default(false),
    operations: z.array(batchOperation).min(1).max(10_000),
  })
  .strict()
export type BatchBody = z.output<typeof batchBody>

export const batchListQuery = paginationQuery.extend({
  status: z.enum(taskStatuses).optional().describe('Only batches in this status'),
  name: z.string().min(1).max(200).optional().describe('Only batches of this name'),
})

export const checkpointBody = z.object({ name: z.string().min(1).max(200), description: z.string().max(2000).optional() }).strict()

export const rollbackBody = z
  .union([
    z.object({ checkpoint_id: z.string().min(1).max(200) }).strict(),
    z.object({ operation_ids: z.array(z.string().min(1).max(200)).min(1).max(10_000), workflow_id: z.string().min(1).max(200).optional() }).strict(),
  ])
  .describe('A checkpoint to roll back to, or the operations to undo')
