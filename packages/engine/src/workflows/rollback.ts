import type { Storage } from 'unstorage'
import type { JobsApi, JobRecord, RetryPolicy } from '../jobs/types'
import type { DependencyGraph } from '../dag'
import type { ActionDefinition } from '../providers/types'
import { keySegment } from '../storage/keys'
import { isStanding, runInput, runLabel } from './live'
import { toJobError } from './runner'
import type { OperationRecord, RollbackResult, UndoOutcome } from './types'

/** One completed run to undo. */
export interface UndoTarget {
  workflowId: string
  operation: OperationRecord
  index: number
}

export interface UndoHost {
  jobs: JobsApi
  getAction: (provider: string, action: string) => ActionDefinition | undefined
  saveOperation: (workflowId: string, operation: OperationRecord) => Promise<void>
  /** Policy of each undo job. */
  undoRetry: RetryPolicy
  /** True once the engine stops: no further undo starts, nothing more is recorded. */
  stopped: () => boolean
}

/**
 * Every standing run of `operations` (records of the workflow whose graph is
 * given), in the graph's undo order: each operation after its dependents, the
 * last item of a batch first.
 */
export function undoTargets(workflowId: string, graph: DependencyGraph, operations: readonly OperationRecord[]): UndoTarget[] {
  const byPosition = new Map(operations.map((operation) => [operation.index, operation]))
  const targets: UndoTarget[] = []
  for (const operation of graph.undoOrder(byPosition.keys()).map((position) => byPosition.get(position)!)) {
    for (let index = operation.runs.length - 1; index >= 0; index--) {
      if (isStanding(operation.runs[index])) targets.push({ workflowId, operation, index })
    }
  }
  return targets
}

/**
 * The saga's compensation: undoes `targets` one after the other in the order
 * given, each as an undo job (the action's `undo(ctx, input, result)`) that
 * retries with backoff. A run whose action has no `undo` is recorded as not
 * reversible; a failed undo is recorded and the next one still runs.
 */
export async function runUndos(
  host: UndoHost,
  targets: readonly UndoTarget[],
  scope: { rollbackId: string; workflowId?: string; checkpointId?: string },
): Promise<RollbackResult> {
  const started = Date.now()
  const result: RollbackResult = {
    rollbackId: scope.rollbackId,
    success: true,
    operationsExecuted: 0,
    operationsFailed: 0,
    notReversible: [],
    errors: [],
    duration: 0,
    startedAt: new Date(started).toISOString(),
    ...(scope.workflowId ? { workflowId: scope.workflowId } : {}),
    ...(scope.checkpointId ? { checkpointId: scope.checkpointId } : {}),
  }
  for (const { workflowId, operation, index } of targets) {
    if (host.stopped()) break
    const run = operation.runs[index]
    const outcome = await undoRun(host, workflowId, operation, index, scope.rollbackId)
    // An undo cut short by the engine's stop is left for the resumed rollback to run again.
    if (host.stopped()) break
    run.undo = outcome
    if (outcome.status === 'not_reversible') result.notReversible.push(runLabel(workflowId, operation, index))
    else if (outcome.status === 'completed') result.operationsExecuted++
    else {
      result.operationsFailed++
      result.errors.push({ workflowId, operationId: operation.id, ...(operation.items ? { item: index } : {}), error: outcome.error! })
    }
    operation.rolledBack = operation.runs.every((each) => each.status !== 'completed' || (each.undo && each.undo.status !== 'failed'))
    await host.saveOperation(workflowId, operation)
  }
  result.success = result.operationsFailed === 0
  result.duration = (Date.now() - started) / 1000
  return result
}

async function undoRun(host: UndoHost, workflowId: string, operation: OperationRecord, index: number, rollbackId: string): Promise<UndoOutcome> {
  const at = () => new Date().toISOString()
  if (!host.getAction(operation.provider, operation.action)?.undo) return { status: 'not_reversible', rollbackId, at: at() }
  let job: JobRecord
  try {
    const submitted = await host.jobs.submit({
      provider: operation.provider,
      action: operation.action,
      input: runInput(operation, index),
      undo: { result: operation.runs[index].result },
      retry: host.undoRetry,
      labels: { workflow: workflowId, operation: operation.id, rollback: rollbackId, ...(operation.items ? { item: String(index) } : {}) },
    })
    job = await host.jobs.wait(submitted.id)
  } catch (error) {
    return { status: 'failed', error: toJobError(error), rollbackId, at: at() }
  }
  return job.status === 'completed'
    ? { status: 'completed', jobId: job.id, rollbackId, at: at() }
    : { status: 'failed', jobId: job.id, error: job.error ?? { message: `undo job ended ${job.status}` }, rollbackId, at: at() }
}

const LOG_INDEX_KEY = 'rollbacks:index'
const logRecordKey = (id: string) => `rollbacks:records:${keySegment(id)}`

/** Every rollback's result: one record each, plus one index key that `stats()` reads. */
export class RollbackLog {
  constructor(private readonly storage: Storage) {}

  async add(result: RollbackResult): Promise<void> {
    await this.storage.setItem(logRecordKey(result.rollbackId), result)
    const { errors: _errors, notReversible: _notReversible, ...summary } = result
    await this.storage.setItem(LOG_INDEX_KEY, [...(await this.summaries()), summary])
  }

  async get(id: string): Promise<RollbackResult | undefined> {
    return (await this.storage.getItem<RollbackResult>(logRecordKey(id))) ?? undefined
  }

  async summaries(): Promise<Omit<RollbackResult, 'errors' | 'notReversible'>[]> {
    return (await this.storage.getItem<Omit<RollbackResult, 'errors' | 'notReversible'>[]>(LOG_INDEX_KEY)) ?? []
  }
}
