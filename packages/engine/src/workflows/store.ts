import type { Storage } from 'unstorage'
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../jobs/store'
import { createId } from '../_internal/id'
import { decodeKeySegment, keySegment, lastSegment } from '../storage/keys'
import type { OperationRecord, WorkflowListQuery, WorkflowRecord, WorkflowSnapshot, WorkflowStatus } from './types'

/** A workflow record without its operations, which are stored apart. */
export type WorkflowHeader = Omit<WorkflowRecord, 'operations'> & {
  /**
   * Every transition, oldest first (`snapshots()`). Kept in the header so that
   * a status and its history entry are one atomic write: a crash cannot keep
   * one without the other.
   */
  history: WorkflowSnapshot[]
  /** xstate persisted snapshot of the workflow machine, and the machine version that wrote it. */
  machine?: unknown
  machineVersion?: number
}

/** What `list` filters and sorts on, kept for every workflow under a key of its own. */
export interface WorkflowIndexEntry {
  id: string
  name: string
  status: WorkflowStatus
  createdAt: string
  durationMs?: number
  /** A time-ordered id given at submission: orders workflows created in the same millisecond as they were submitted. */
  seq: string
}

/** A workflow as stored: header (with its history) and operations. */
export interface StoredWorkflow {
  header: WorkflowHeader
  operations: OperationRecord[]
}

/** What an operation is: written once, with the workflow. */
export type OperationSpecRecord = Pick<
  OperationRecord,
  'id' | 'provider' | 'action' | 'input' | 'dependsOn' | 'when' | 'retry' | 'timeoutMs' | 'concurrencyKey' | 'type' | 'items' | 'itemsAs' | 'index'
>
/** Where an operation stands: written on each of its transitions. */
export type OperationState = Omit<OperationRecord, keyof OperationSpecRecord>

const INDEX_PREFIX = 'workflows:summaries'
const indexKey = (id: string) => `${INDEX_PREFIX}:${keySegment(id)}`
const CANCEL_PREFIX = 'workflows:cancel-requests'
const cancelKey = (id: string) => `${CANCEL_PREFIX}:${keySegment(id)}`
const headerKey = (id: string) => `workflows:records:${keySegment(id)}`
const specsKey = (id: string) => `workflows:specs:${keySegment(id)}`

/**
 * Workflow records in unstorage. The operations' specs are one key written
 * at submission; each operation's state has its own key, written on each of
 * its transitions (none while it is still pending), so a transition costs
 * one small write whatever the workflow's size. Each workflow's index entry
 * (id, name, status, creation time) has its own key, written when its status
 * changes and read back from storage for every list: several engines, in
 * several processes, write the workflows of one storage, each its own.
 */
export class WorkflowStore {
  /** The entries this store wrote last, so that an unchanged one is not written again. */
  private readonly written = new Map<string, WorkflowIndexEntry>()
  private readonly stateKeys = new WeakMap<OperationRecord, string>()

  constructor(private readonly storage: Storage) {}

  /** Every workflow's index entry, in submission order, as stored now. */
  async entries(): Promise<Map<string, WorkflowIndexEntry>> {
    const keys = await this.storage.getKeys(INDEX_PREFIX)
    const entries = (await this.storage.getItems<WorkflowIndexEntry>(keys)).map((item) => item.value).filter((entry) => entry !== null)
    entries.sort((a, b) => (a.createdAt === b.createdAt ? compare(a.seq, b.seq) : compare(a.createdAt, b.createdAt)))
    return new Map(entries.map((entry) => [entry.id, entry]))
  }

  async saveHeader(header: WorkflowHeader): Promise<void> {
    await this.storage.setItem(headerKey(header.id), header)
    const previous = this.written.get(header.id) ?? (await this.storage.getItem<WorkflowIndexEntry>(indexKey(header.id))) ?? undefined
    if (previous?.status === header.status && previous.durationMs === header.durationMs) return
    const entry: WorkflowIndexEntry = {
      id: header.id,
      name: header.name,
      status: header.status,
      createdAt: header.createdAt,
      durationMs: header.durationMs,
      seq: previous?.seq ?? createId(),
    }
    // Final entries are not kept: they are written once more only by a retry, which reads them back.
    if (activeStatuses.has(header.status)) this.written.set(header.id, entry)
    else this.written.delete(header.id)
    await this.storage.setItem(indexKey(header.id), entry)
  }

  /** Asks the engine that drives a workflow, whichever it is, to cancel it. */
  requestCancel(id: string): Promise<void> {
    return this.storage.setItem(cancelKey(id), true)
  }

  /** Ids of the workflows whose cancellation was asked for and not yet carried out. */
  async cancelRequests(): Promise<string[]> {
    return (await this.storage.getKeys(CANCEL_PREFIX)).map((key) => decodeKeySegment(lastSegment(key)))
  }

  clearCancelRequest(id: string): Promise<void> {
    return this.storage.removeItem(cancelKey(id))
  }

  /** Stores what the operations are, in topological order; their states start as pending. */
  async saveSpecs(workflowId: string, operations: readonly OperationRecord[]): Promise<void> {
    await this.storage.setItem(specsKey(workflowId), operations.map(specOf))
  }

  async saveOperation(workflowId: string, operation: OperationRecord): Promise<void> {
    await this.storage.setItem(this.stateKey(workflowId, operation), stateOf(operation))
  }

  /** Writes the states of several operations as one batch. */
  async saveOperations(workflowId: string, operations: readonly OperationRecord[]): Promise<void> {
    if (!operations.length) return
    await this.storage.setItems(operations.map((operation) => ({ key: this.stateKey(workflowId, operation), value: stateOf(operation) })))
  }

  private stateKey(workflowId: string, operation: OperationRecord): string {
    let key = this.stateKeys.get(operation)
    if (!key) {
      key = stateKey(workflowId, operation.id)
      this.stateKeys.set(operation, key)
    }
    return key
  }

  async header(id: string): Promise<WorkflowHeader | undefined> {
    return (await this.storage.getItem<WorkflowHeader>(headerKey(id))) ?? undefined
  }

  async operations(workflowId: string): Promise<OperationRecord[]> {
    const specs = (await this.storage.getItem<OperationSpecRecord[]>(specsKey(workflowId))) ?? []
    const keys = specs.map((spec) => stateKey(workflowId, spec.id))
    const states = new Map((await this.storage.getItems<OperationState>(keys)).map((item) => [item.key, item.value]))
    return specs.map((spec, position) => operationRecord(spec, states.get(keys[position]) ?? initialState(spec), spec.index))
  }

  async load(id: string): Promise<StoredWorkflow | undefined> {
    const header = await this.header(id)
    if (!header) return undefined
    return { header, operations: await this.operations(id) }
  }

  /** Writes a whole workflow back (checkpoint restore). */
  async put(workflow: StoredWorkflow): Promise<void> {
    await this.saveSpecs(workflow.header.id, workflow.operations)
    await this.saveOperations(workflow.header.id, workflow.operations)
    await this.saveHeader(workflow.header)
  }

  async remove(id: string): Promise<void> {
    const specs = (await this.storage.getItem<OperationSpecRecord[]>(specsKey(id))) ?? []
    await Promise.all(specs.map((spec) => this.storage.removeItem(stateKey(id, spec.id))))
    await this.storage.removeItem(specsKey(id))
    await this.storage.removeItem(indexKey(id))
    await this.storage.removeItem(headerKey(id))
    this.written.delete(id)
  }

  /** Ids of one page, filtered and sorted from the index alone. */
  async page(query: WorkflowListQuery): Promise<{ ids: string[]; total: number; limit: number; offset: number }> {
    const statuses = query.status === undefined ? undefined : new Set([query.status].flat())
    const matches = [...(await this.entries()).values()].filter(
      (entry) => (!statuses || statuses.has(entry.status)) && (query.name === undefined || entry.name === query.name),
    )
    // Entries come in submission order, which breaks ties between workflows created in the same millisecond.
    const ascending = query.order === 'asc'
    if (!ascending) matches.reverse()
    matches.sort((a, b) => (a.createdAt === b.createdAt ? 0 : a.createdAt < b.createdAt === ascending ? -1 : 1))
    // Paged like the jobs list.
    const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_PAGE_LIMIT), MAX_PAGE_LIMIT)
    const offset = Math.max(0, query.offset ?? 0)
    return { ids: matches.slice(offset, offset + limit).map((entry) => entry.id), total: matches.length, limit, offset }
  }
}

const activeStatuses: ReadonlySet<WorkflowStatus> = new Set(['pending', 'running', 'rolling_back'])

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

function stateKey(workflowId: string, operationId: string): string {
  return `workflows:operations:${keySegment(workflowId)}:${keySegment(operationId)}`
}

function specOf(operation: OperationRecord): OperationSpecRecord {
  const { id, provider, action, input, dependsOn, when, retry, timeoutMs, concurrencyKey, type, items, itemsAs, index } = operation
  return { id, provider, action, input, dependsOn, when, retry, timeoutMs, concurrencyKey, type, items, itemsAs, index }
}

// Field by field rather than with a rest pattern (docs/benchmarks.md).
function stateOf(operation: OperationRecord): OperationState {
  const { status, runs, progress, step, startedAt, finishedAt, durationMs, result, error, skipReason, attempt, rolledBack } = operation
  return { status, runs, progress, step, startedAt, finishedAt, durationMs, result, error, skipReason, attempt, rolledBack }
}

/**
 * An operation record with every field present from the start, always in the
 * same order, so that every record has the same shape as the workflow runs
 * (why that matters: docs/benchmarks.md).
 */
export function operationRecord(spec: Omit<OperationSpecRecord, 'index'>, state: OperationState, index: number): OperationRecord {
  return {
    id: spec.id,
    provider: spec.provider,
    action: spec.action,
    input: spec.input,
    dependsOn: spec.dependsOn,
    when: spec.when,
    retry: spec.retry,
    timeoutMs: spec.timeoutMs,
    concurrencyKey: spec.concurrencyKey,
    type: spec.type,
    items: spec.items,
    itemsAs: spec.itemsAs,
    index,
    status: state.status,
    runs: state.runs,
    progress: state.progress,
    step: state.step,
    startedAt: state.startedAt,
    finishedAt: state.finishedAt,
    durationMs: state.durationMs,
    result: state.result,
    error: state.error,
    skipReason: state.skipReason,
    attempt: state.attempt,
    rolledBack: state.rolledBack,
  }
}

/** The state of an operation never started: no key is written for it. */
export function initialState(spec: Pick<OperationRecord, 'items'>): OperationState {
  return { status: 'pending', runs: (spec.items ?? [undefined]).map(() => ({ status: 'pending' })), progress: 0, attempt: 1 }
}
