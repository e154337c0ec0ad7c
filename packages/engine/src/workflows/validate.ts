import { z } from 'zod'
import { buildDag, type Dag } from '../dag'
import { issuesFromZod, ValidationError, type ValidationIssue } from '../errors'
import { labelsSchema, retryPolicySchema } from '../jobs/submission'
import type { ActionDefinition } from '../providers/types'
import type { NormalizedOperation, WorkflowSubmission } from './types'

const operationSchema = z.object({
  id: z.string().min(1),
  provider: z.string().min(1),
  action: z.string().min(1),
  input: z.record(z.string(), z.unknown()).optional(),
  dependsOn: z.array(z.string()).optional(),
  dependencies: z.array(z.string()).optional(),
  when: z.enum(['success', 'failure', 'always']).optional(),
  retry: retryPolicySchema.optional(),
  timeoutMs: z.number().int().positive().optional(),
  concurrencyKey: z.string().min(1).optional(),
  items: z.array(z.unknown()).optional(),
  itemsAs: z.enum(['item', 'input']).optional(),
  server_configs: z.array(z.unknown()).optional(),
  taskservs: z.array(z.unknown()).optional(),
  type: z.string().optional(),
})

const submissionSchema = z.object({
  name: z.string().min(1),
  version: z.string().optional(),
  parallelLimit: z.number().int().positive().optional(),
  rollbackEnabled: z.boolean().optional(),
  labels: labelsSchema.optional(),
  operations: z.array(operationSchema).min(1),
})

export interface ValidatedWorkflow {
  submission: Omit<WorkflowSubmission, 'operations'>
  /** In topological order. */
  operations: NormalizedOperation[]
  dag: Dag
}

export type ActionLookup = (provider: string, action: string) => ActionDefinition | undefined

/**
 * Checks a whole submission before anything is stored: its shape, the DAG
 * (duplicates, unknown dependencies, cycles), that each provider and action
 * exists, and every operation's input against its action's schema (each
 * batch item merged into the input as `item`). Throws one `ValidationError`
 * listing every issue found.
 */
export function validateWorkflow(submission: unknown, getAction: ActionLookup, unavailable: Readonly<Record<string, string>> = {}): ValidatedWorkflow {
  const parsed = submissionSchema.safeParse(submission)
  if (!parsed.success) throw new ValidationError('invalid workflow', issuesFromZod(parsed.error))

  const issues: ValidationIssue[] = []
  const operations = parsed.data.operations.map((spec, index) => normalize(spec, index, issues))
  const { dag, issues: dagIssues } = buildDag(operations, (index) => `operations.${index}`)
  issues.push(...dagIssues)
  operations.forEach((operation, index) => issues.push(...inputIssues(operation, index, getAction, unavailable)))
  if (issues.length || !dag) throw new ValidationError(`invalid workflow "${parsed.data.name}"`, issues)

  const byId = new Map(operations.map((operation) => [operation.id, operation]))
  const { operations: _operations, ...rest } = parsed.data
  return { submission: rest, operations: dag.order.map((id) => byId.get(id)!), dag }
}

function normalize(spec: z.output<typeof operationSchema>, index: number, issues: ValidationIssue[]): NormalizedOperation {
  const batches = [spec.items, spec.server_configs, spec.taskservs].filter((batch) => batch !== undefined)
  if (batches.length > 1) {
    issues.push({ path: `operations.${index}`, message: `"${spec.id}" gives more than one of items, server_configs and taskservs` })
  }
  if (spec.dependsOn && spec.dependencies) {
    issues.push({ path: `operations.${index}`, message: `"${spec.id}" gives both dependsOn and dependencies` })
  }
  return {
    id: spec.id,
    provider: spec.provider,
    action: spec.action,
    input: spec.input ?? {},
    dependsOn: spec.dependsOn ?? spec.dependencies ?? [],
    when: spec.when ?? 'success',
    retry: spec.retry,
    timeoutMs: spec.timeoutMs,
    concurrencyKey: spec.concurrencyKey,
    type: spec.type,
    items: batches[0],
    ...(spec.itemsAs === 'input' ? { itemsAs: 'input' as const } : {}),
  }
}

function inputIssues(operation: NormalizedOperation, index: number, getAction: ActionLookup, unavailable: Readonly<Record<string, string>>): ValidationIssue[] {
  const action = getAction(operation.provider, operation.action)
  if (!action && Object.hasOwn(unavailable, operation.provider)) {
    return [
      {
        path: `operations.${index}.provider`,
        message: `"${operation.id}": provider "${operation.provider}" is not configured: ${unavailable[operation.provider]}`,
      },
    ]
  }
  if (!action) {
    return [
      {
        path: `operations.${index}.action`,
        message: `"${operation.id}": unknown provider or action "${operation.provider}.${operation.action}"`,
      },
    ]
  }
  if (!operation.items) {
    const result = action.input.safeParse(operation.input)
    return result.success ? [] : issuesFromZod(result.error, `operations.${index}.input`)
  }
  // The same bad field of the shared input would otherwise be reported once per item.
  const seen = new Map<string, ValidationIssue>()
  operation.items.forEach((item, position) => {
    const merged = operation.itemsAs === 'input'
    if (merged && (typeof item !== 'object' || item === null || Array.isArray(item))) {
      seen.set(`item ${position}`, { path: `operations.${index}.items.${position}`, message: 'an item merged into the input must be an object' })
      return
    }
    const result = action.input.safeParse(merged ? { ...operation.input, ...(item as object) } : { ...operation.input, item })
    if (result.success) return
    for (const issue of result.error.issues) {
      const [head, ...tail] = issue.path.map(String)
      const path = merged
        ? [`operations.${index}.items.${position}`, ...issue.path.map(String)].join('.')
        : head === 'item'
          ? [`operations.${index}.items.${position}`, ...tail].join('.')
          : [`operations.${index}.input`, ...issue.path.map(String)].join('.')
      seen.set(`${path}\n${issue.message}`, { path, message: issue.message })
    }
  })
  return [...seen.values()]
}
