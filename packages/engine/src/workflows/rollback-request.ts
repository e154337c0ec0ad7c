import { randomUUID } from 'node:crypto'
import { DependencyGraph } from '../dag'
import { NotFoundError, ValidationError, type ValidationIssue } from '../errors'
import { ledgerKey, ledgerOf, newestFirst, type WorkflowAccess } from './checkpoints'
import { isStanding } from './live'
import { undoTargets, type UndoTarget } from './rollback'
import type { StoredWorkflow } from './store'
import type { RollbackRequest, RollbackResult } from './types'

/**
 * `rollback()` of the workflow service: undoes what completed after a
 * checkpoint (newest first, across workflows), or the given operations of one
 * workflow (latest first), refusing to leave a dependent standing on an undone
 * operation.
 */
export async function rollbackRequest(access: WorkflowAccess, request: RollbackRequest): Promise<RollbackResult> {
  const { store, checkpointStore } = access
  const rollbackId = randomUUID()
  let targets: UndoTarget[]
  let scope: { rollbackId: string; workflowId?: string; checkpointId?: string }
  if ('checkpointId' in request) {
    const stored = await checkpointStore.load(request.checkpointId)
    if (!stored) throw new NotFoundError(`[provisio] [checkpoints] no checkpoint "${request.checkpointId}"`)
    const before = new Set(stored.checkpoint.ledger.map(ledgerKey))
    const all = await access.all()
    const after = all
      .flatMap((workflow) => ledgerOf(workflow.header.id, workflow.operations))
      .filter((entry) => !before.has(ledgerKey(entry)))
      .sort(newestFirst)
    access.refuseIfActive(new Set(after.map((entry) => entry.workflowId)), 'roll back to a checkpoint')
    const operations = new Map(all.map((workflow) => [workflow.header.id, new Map(workflow.operations.map((operation) => [operation.id, operation]))]))
    targets = after.map((entry) => ({
      workflowId: entry.workflowId,
      operation: operations.get(entry.workflowId)!.get(entry.operationId)!,
      index: entry.item ?? 0,
    }))
    scope = { rollbackId, checkpointId: request.checkpointId }
  } else {
    const workflow = await workflowOfOperations(access, request.operationIds, request.workflowId)
    access.refuseIfActive([workflow.header.id], 'roll back operations')
    const graph = new DependencyGraph(workflow.operations)
    refuseStandingDependents(workflow, graph, request.operationIds)
    const wanted = new Set(request.operationIds)
    targets = undoTargets(
      workflow.header.id,
      graph,
      workflow.operations.filter((operation) => wanted.has(operation.id)),
    )
    scope = { rollbackId, workflowId: workflow.header.id }
  }
  const result = await access.undo(targets, scope)
  if (scope.workflowId) {
    const header = await store.header(scope.workflowId)
    if (header) await store.saveHeader({ ...header, rollback: result })
  }
  return result
}

/** The workflow that holds every one of `operationIds`: the given one, or the only one that has them all standing. */
async function workflowOfOperations(access: WorkflowAccess, operationIds: string[], workflowId?: string): Promise<StoredWorkflow> {
  if (!operationIds.length) throw new ValidationError('invalid rollback', [{ path: 'operationIds', message: 'at least one operation id is required' }])
  const candidates = workflowId ? [await access.load(workflowId)] : await access.all()
  const holders = candidates.filter((workflow) => operationIds.every((id) => workflow.operations.some((operation) => operation.id === id)))
  if (workflowId && !holders.length) {
    const known = new Set(candidates[0].operations.map((operation) => operation.id))
    throw new ValidationError(
      'invalid rollback',
      operationIds
        .map((id, index) => ({ id, index }))
        .filter(({ id }) => !known.has(id))
        .map(({ id, index }) => ({ path: `operationIds.${index}`, message: `workflow "${workflowId}" has no operation "${id}"` })),
    )
  }
  const standing = holders.filter((workflow) => workflow.operations.some((operation) => operationIds.includes(operation.id) && operation.runs.some(isStanding)))
  const found = holders.length === 1 ? holders : standing
  if (found.length === 1) return found[0]
  if (!found.length) throw new NotFoundError(`[provisio] [workflows] no workflow has completed operations ${operationIds.map((id) => `"${id}"`).join(', ')}`)
  throw new ValidationError('invalid rollback', [
    { path: 'workflowId', message: `operations ${operationIds.join(', ')} stand in ${found.length} workflows: give workflowId` },
  ])
}

function refuseStandingDependents(workflow: StoredWorkflow, graph: DependencyGraph, operationIds: string[]) {
  const wanted = new Set(operationIds)
  const byId = new Map(workflow.operations.map((operation) => [operation.id, operation]))
  const issues: ValidationIssue[] = []
  operationIds.forEach((id, index) => {
    for (const position of graph.allDependents(byId.get(id)!.index)) {
      const dependent = workflow.operations[position]
      if (!wanted.has(dependent.id) && dependent.runs.some(isStanding)) {
        issues.push({
          path: `operationIds.${index}`,
          message: `"${id}" cannot be undone while its dependent "${dependent.id}" stands: add "${dependent.id}" to operationIds`,
        })
      }
    }
  })
  if (issues.length) throw new ValidationError(`cannot roll back operations of workflow "${workflow.header.id}"`, issues)
}
