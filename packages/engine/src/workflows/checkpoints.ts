import { randomUUID } from 'node:crypto'
import type { Storage } from 'unstorage'
import { NotFoundError, ValidationError } from '../errors'
import { keySegment } from '../storage/keys'
import type { UndoTarget } from './rollback'
import type { EngineEmitter } from '../events'
import type { WorkflowService } from './api'
import { isStanding, runInput } from './live'
import type { StoredWorkflow, WorkflowStore } from './store'
import { finalWorkflowStatuses, type RollbackResult, type Checkpoint, type CheckpointSummary, type LedgerEntry, type OperationRecord } from './types'

/** What checkpoints and rollback requests need from the service that drives the workflows. */
export interface WorkflowAccess {
  store: WorkflowStore
  checkpointStore: CheckpointStore
  /** Every workflow; those driven here as they are in memory (copies). */
  all: () => Promise<StoredWorkflow[]>
  /** One stored workflow; throws `NotFoundError`. */
  load: (id: string) => Promise<StoredWorkflow>
  /** Ids of the workflows driven here now (pending, running or rolling back). */
  activeIds: () => Iterable<string>
  /** Throws a `conflict` error when one of `ids` is driven here now. */
  refuseIfActive: (ids: Iterable<string>, what: string) => void
  /** Takes over a stored workflow that is not finished and lets it continue. */
  resume: (stored: StoredWorkflow) => Promise<void>
  /** Runs the undos (saga compensation) and records the rollback. */
  undo: (targets: UndoTarget[], scope: { rollbackId: string; workflowId?: string; checkpointId?: string }) => Promise<RollbackResult>
}

const INDEX_KEY = 'checkpoints:index'
const recordKey = (id: string) => `checkpoints:records:${keySegment(id)}`

/** A checkpoint as stored: its ledger, plus every workflow as it was (for `restore`). */
export interface StoredCheckpoint {
  checkpoint: Checkpoint
  workflows: StoredWorkflow[]
}

/** The ledger of a workflow: each of its runs that completed and was not rolled back. */
export function ledgerOf(workflowId: string, operations: Iterable<OperationRecord>): LedgerEntry[] {
  const entries: LedgerEntry[] = []
  for (const operation of operations) {
    operation.runs.forEach((run, index) => {
      if (!isStanding(run)) return
      entries.push({
        workflowId,
        operationId: operation.id,
        ...(operation.items ? { item: index } : {}),
        provider: operation.provider,
        action: operation.action,
        input: runInput(operation, index),
        result: run.result,
        ...(run.jobId ? { jobId: run.jobId } : {}),
        completedAt: run.finishedAt ?? operation.finishedAt ?? '',
        index: operation.index,
      })
    })
  }
  return entries
}

/** Identifies one completed run; the job id tells a run apart from its re-run after a retry. */
export function ledgerKey(entry: Pick<LedgerEntry, 'workflowId' | 'operationId' | 'item' | 'jobId'>): string {
  return `${entry.workflowId}\n${entry.operationId}\n${entry.item ?? ''}\n${entry.jobId ?? ''}`
}

/** Latest completion first; within one millisecond, the later operation of a workflow first. */
export function newestFirst(a: LedgerEntry, b: LedgerEntry): number {
  if (a.completedAt !== b.completedAt) return a.completedAt < b.completedAt ? 1 : -1
  if (a.index !== b.index) return b.index - a.index
  return (b.item ?? 0) - (a.item ?? 0)
}

export class CheckpointStore {
  constructor(private readonly storage: Storage) {}

  async save(stored: StoredCheckpoint): Promise<Checkpoint> {
    const text = JSON.stringify(stored)
    const checkpoint = { ...stored.checkpoint, size: Buffer.byteLength(text) }
    await this.storage.setItem(recordKey(checkpoint.id), { ...stored, checkpoint })
    const { ledger: _ledger, ...summary } = checkpoint
    await this.storage.setItem(INDEX_KEY, [...(await this.list()), summary])
    return checkpoint
  }

  async list(): Promise<CheckpointSummary[]> {
    return (await this.storage.getItem<CheckpointSummary[]>(INDEX_KEY)) ?? []
  }

  async load(id: string): Promise<StoredCheckpoint | undefined> {
    return (await this.storage.getItem<StoredCheckpoint>(recordKey(id))) ?? undefined
  }
}

/** `checkpoints.*` of the workflow service. */
export function createCheckpointsApi(access: WorkflowAccess, events: EngineEmitter): WorkflowService['checkpoints'] {
  const { store, checkpointStore } = access
  return {
    async create({ name, description }) {
      if (!name) throw new ValidationError('invalid checkpoint', [{ path: 'name', message: 'a name is required' }])
      const all = await access.all()
      const ledger = all
        .flatMap((workflow) => ledgerOf(workflow.header.id, workflow.operations))
        .sort(newestFirst)
        .reverse()
      const checkpoint = await checkpointStore.save({
        checkpoint: {
          id: randomUUID(),
          name,
          ...(description ? { description } : {}),
          created_at: new Date().toISOString(),
          size: 0,
          operations_count: ledger.length,
          workflows_count: all.length,
          ledger,
        },
        workflows: all,
      })
      const { ledger: _ledger, ...summary } = checkpoint
      events.emit('checkpoint:created', { checkpoint: summary })
      return checkpoint
    },

    list: () => checkpointStore.list(),

    async get(id) {
      return (await checkpointStore.load(id))?.checkpoint
    },

    async restore(id) {
      const stored = await checkpointStore.load(id)
      if (!stored) throw new NotFoundError(`[provisio] [checkpoints] no checkpoint "${id}"`)
      access.refuseIfActive(access.activeIds(), 'restore a checkpoint')
      const kept = new Set(stored.workflows.map((workflow) => workflow.header.id))
      let removed = 0
      for (const workflowId of [...(await store.entries()).keys()]) {
        if (kept.has(workflowId)) continue
        await store.remove(workflowId)
        removed++
      }
      for (const workflow of stored.workflows) await store.put(workflow)
      // A workflow that was running at the checkpoint carries on from there.
      for (const workflow of stored.workflows) if (!finalWorkflowStatuses.has(workflow.header.status)) await access.resume(workflow)
      const restoredResult = { checkpointId: id, restored: stored.workflows.length, removed }
      events.emit('checkpoint:restored', restoredResult)
      return restoredResult
    },
  }
}
