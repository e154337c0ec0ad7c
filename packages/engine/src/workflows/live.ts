import { DependencyGraph } from '../dag'
import type { WorkflowHeader } from './store'
import type { OperationRecord, OperationRun, OperationStatus } from './types'
import { settledOperationStatuses } from './types'

/** A workflow held in memory while this process drives it; storage follows every change. */
export interface LiveWorkflow {
  header: WorkflowHeader
  /** In topological order. */
  operations: Map<string, OperationRecord>
  /** The same records by position (`operation.index`): the graph's node names map back here. */
  byPosition: OperationRecord[]
  /** The DAG the workflow runs on: dependents, dependencies and rollback order come from it. */
  graph: DependencyGraph
  /** Sum of the operations' `progress`, so the workflow's percentage costs nothing to read. */
  progressSum: number
  /** Operations completed, failed, skipped or cancelled. */
  settledCount: number
}

/** `operations` in topological order, as stored. */
export function createLiveWorkflow(header: WorkflowHeader, operations: readonly OperationRecord[]): LiveWorkflow {
  return {
    header,
    operations: new Map(operations.map((operation) => [operation.id, operation])),
    byPosition: [...operations],
    graph: new DependencyGraph(operations),
    progressSum: operations.reduce((sum, operation) => sum + operation.progress, 0),
    settledCount: operations.filter((operation) => isSettled(operation.status)).length,
  }
}

export function setOperationProgress(live: LiveWorkflow, operation: OperationRecord, percent: number): void {
  live.progressSum += percent - operation.progress
  operation.progress = percent
}

/** The workflow's percentage: each operation weighs the same. */
export function workflowPercent(live: LiveWorkflow): number {
  return live.operations.size ? Math.round((live.progressSum / live.operations.size) * 10) / 10 : 100
}

export function isSettled(status: OperationStatus): boolean {
  return settledOperationStatuses.has(status)
}

/** A completed run that no rollback has dealt with yet (undone, or found not reversible). */
export function isStanding(run: OperationRun): boolean {
  return run.status === 'completed' && run.undo?.status !== 'completed' && run.undo?.status !== 'not_reversible'
}

/** The input one run's job receives: the operation's input, plus `item` for a batch (or the item's fields, with `itemsAs: 'input'`). */
export function runInput(operation: OperationRecord, index: number): Record<string, unknown> {
  if (!operation.items) return operation.input
  const item = operation.items[index]
  return operation.itemsAs === 'input' ? { ...operation.input, ...(item as object) } : { ...operation.input, item }
}

/** `workflowId/operationId`, with `#item` for one item of a batch. */
export function runLabel(workflowId: string, operation: OperationRecord, index: number): string {
  return `${workflowId}/${operation.id}${operation.items ? `#${index}` : ''}`
}
