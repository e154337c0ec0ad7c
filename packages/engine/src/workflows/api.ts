import type { Storage } from 'unstorage'
import type { InspectionEvent } from 'xstate'
import type { Claims } from '../jobs/claims'
import type { JobsApi, RetryPolicy } from '../jobs/types'
import type { EngineEmitter } from '../events'
import type { ActionDefinition } from '../providers/types'
import type {
  Checkpoint,
  CheckpointSummary,
  EngineStats,
  RollbackRequest,
  RollbackResult,
  WorkflowListQuery,
  WorkflowPage,
  WorkflowProgress,
  WorkflowRecord,
  WorkflowSnapshot,
  WorkflowSubmission,
} from './types'

export interface WorkflowHost {
  jobs: JobsApi
  /** Keys under `workflows:`, `checkpoints:` and `rollbacks:`. */
  storage: Storage
  events: EngineEmitter
  /** Validates operations and tells whether an action can be undone. */
  getAction: (provider: string, action: string) => ActionDefinition | undefined
  /** Known providers that are not available, with what to do about it. */
  unavailableProviders?: Readonly<Record<string, string>>
  /** Claims on workflows (`claimsFor(storage, 'workflows')`): one engine at a time drives a workflow. */
  claims: Claims
  /** How long a claim on a workflow lasts unless renewed; a dead engine's workflows are taken over after this. */
  leaseMs: number
}

export interface WorkflowServiceOptions {
  /** Policy of each undo job. Default: 3 attempts, 200 ms backoff doubling. */
  undoRetry?: RetryPolicy
  /**
   * Runs of a workflow without `parallelLimit` admitted at once (each is a
   * child actor of the workflow's machine until its job settles). Default 16;
   * in an engine, twice its `concurrency` (at least 16).
   */
  admissionWindow?: number
  /** Observes every workflow machine and its operation-run children (xstate inspection events). */
  inspect?: (event: InspectionEvent) => void
}

export interface WorkflowService {
  workflows: {
    /** Validates the whole workflow (nothing stored when it is rejected), stores it and starts it. */
    submit: (submission: WorkflowSubmission) => Promise<WorkflowRecord>
    get: (id: string) => Promise<WorkflowRecord | undefined>
    list: (query?: WorkflowListQuery) => Promise<WorkflowPage>
    /** Resolves once the workflow is completed, failed, cancelled or rolled back. */
    wait: (id: string) => Promise<WorkflowRecord>
    /** Cancels running operations' jobs, skips pending operations, then rolls back if enabled. */
    cancel: (id: string) => Promise<WorkflowRecord>
    /** Runs the failed, skipped and cancelled operations (and rolled back ones) again; completed ones stay. */
    retry: (id: string) => Promise<WorkflowRecord>
    progress: (id: string) => Promise<WorkflowProgress>
    /** Every persisted transition of the workflow, oldest first. */
    snapshots: (id: string) => Promise<WorkflowSnapshot[]>
  }
  checkpoints: {
    create: (options: { name: string; description?: string }) => Promise<Checkpoint>
    list: () => Promise<CheckpointSummary[]>
    get: (id: string) => Promise<Checkpoint | undefined>
    /** Puts workflow records back as they were at the checkpoint; undoes nothing at providers. */
    restore: (id: string) => Promise<{ checkpointId: string; restored: number; removed: number }>
  }
  rollback: (request: RollbackRequest) => Promise<RollbackResult>
  stats: () => Promise<EngineStats>
  /**
   * Called by engine.start(): resumes the unfinished workflows no other engine
   * holds, without re-running completed operations, then keeps taking over
   * those whose engine died (its claim lapsed).
   */
  resume: () => Promise<void>
  /** Called by engine.stop(): leaves the workflows driven here as stored and releases their claims. */
  stop: () => Promise<void>
}
