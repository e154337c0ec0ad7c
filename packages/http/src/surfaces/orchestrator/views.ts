import type { Checkpoint, CheckpointSummary, JobRecord, JobStatus, OperationRecord, RollbackResult, WorkflowRecord, WorkflowStatus } from '@provisio/engine'

/** 004's task status casing. */
export const taskStatuses = ['Pending', 'Running', 'Completed', 'Failed', 'Cancelled'] as const
export type TaskStatus = (typeof taskStatuses)[number]

const jobStatusOf: Record<JobStatus, TaskStatus> = {
  pending: 'Pending',
  retrying: 'Pending',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
}

const workflowStatusOf: Record<WorkflowStatus, TaskStatus> = {
  pending: 'Pending',
  running: 'Running',
  rolling_back: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  rolled_back: 'Failed',
  cancelled: 'Cancelled',
}

/** The engine statuses a task status filter stands for. */
export const jobStatusesOf: Record<TaskStatus, JobStatus[]> = {
  Pending: ['pending', 'retrying'],
  Running: ['running'],
  Completed: ['completed'],
  Failed: ['failed'],
  Cancelled: ['cancelled'],
}
export const workflowStatusesOf: Record<TaskStatus, WorkflowStatus[]> = {
  Pending: ['pending'],
  Running: ['running', 'rolling_back'],
  Completed: ['completed'],
  Failed: ['failed', 'rolled_back'],
  Cancelled: ['cancelled'],
}

export const taskStatusOfJob = (status: JobStatus): TaskStatus => jobStatusOf[status]
export const taskStatusOfWorkflow = (status: WorkflowStatus): TaskStatus => workflowStatusOf[status]

/** 004's task, with `kind` and `progress` added: what `GET /tasks` and `GET /tasks/{id}` answer. */
export interface TaskView {
  id: string
  kind: 'job' | 'workflow'
  name: string
  command: string
  args: string[]
  dependencies: string[]
  status: TaskStatus
  created_at: string
  started_at: string | null
  completed_at: string | null
  output: string | null
  error: string | null
  progress: number
}

/** `{ "infra": "prod", "wait": true }` → `["--infra", "prod", "--wait"]`, the way 004 shows a task's arguments. */
function argsOf(input: unknown): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input === undefined ? [] : [JSON.stringify(input)]
  const args: string[] = []
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || value === false || value === null) continue
    args.push(`--${key}`)
    if (value !== true) args.push(typeof value === 'string' ? value : JSON.stringify(value))
  }
  return args
}

/**
 * A job as a task; `output` is what the job logged so far (null when nothing), `dependencies` the
 * jobs of the operations its own operation depends on, when it runs in a workflow.
 */
export function jobTask(job: JobRecord, output: string[], dependencies: string[] = []): TaskView {
  const operation = job.labels.operation
  return {
    id: job.id,
    kind: 'job',
    name: job.labels.task ?? operation ?? `${job.provider}.${job.action}`,
    command: `${job.provider} ${job.action}`,
    args: argsOf(job.input),
    dependencies,
    status: taskStatusOfJob(job.status),
    created_at: job.createdAt,
    started_at: job.startedAt ?? null,
    completed_at: job.finishedAt ?? null,
    output: output.length ? output.join('\n') : null,
    error: job.error?.message ?? null,
    progress: job.status === 'completed' ? 100 : (job.progress?.percent ?? 0),
  }
}

/** A workflow as a task: its output is what its operations' jobs logged, each line tagged with the operation. */
export function workflowTask(workflow: Omit<WorkflowRecord, 'operations'> & { operations?: OperationRecord[] }, output: string[]): TaskView {
  return {
    id: workflow.id,
    kind: 'workflow',
    name: workflow.name,
    command: `workflow ${workflow.name}`,
    args: workflow.version ? ['--version', workflow.version] : [],
    dependencies: [],
    status: taskStatusOfWorkflow(workflow.status),
    created_at: workflow.createdAt,
    started_at: workflow.startedAt ?? null,
    completed_at: workflow.finishedAt ?? null,
    output: output.length ? output.join('\n') : null,
    error: workflow.error?.message ?? null,
    progress: workflow.progress,
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}

/** One operation of a batch as 004 shows it, with what the engine knows besides. */
export function batchOperationView(operation: OperationRecord) {
  return {
    id: operation.id,
    type: operation.type ?? null,
    provider: operation.provider,
    action: operation.action,
    dependencies: operation.dependsOn,
    status: taskStatusOfOperation(operation),
    progress: round(operation.progress),
    results: operation.result ?? null,
    error: operation.error?.message ?? null,
    skip_reason: operation.skipReason ?? null,
    jobs: operation.runs.map((run) => run.jobId ?? null),
    started_at: operation.startedAt ?? null,
    completed_at: operation.finishedAt ?? null,
    rolled_back: operation.rolledBack ?? false,
  }
}

function taskStatusOfOperation(operation: OperationRecord): TaskStatus | 'Skipped' {
  if (operation.status === 'skipped') return 'Skipped'
  return jobStatusOf[operation.status === 'pending' ? 'pending' : operation.status]
}

/** A batch (an engine workflow) as 004's batch endpoints answer it. */
export function batchView(workflow: WorkflowRecord) {
  return {
    batch_id: workflow.id,
    name: workflow.name,
    version: workflow.version ?? null,
    status: taskStatusOfWorkflow(workflow.status),
    engine_status: workflow.status,
    parallel_limit: workflow.parallelLimit ?? null,
    rollback_enabled: workflow.rollbackEnabled,
    storage_backend: workflow.labels.storage_backend ?? null,
    progress: round(workflow.progress),
    created_at: workflow.createdAt,
    started_at: workflow.startedAt ?? null,
    completed_at: workflow.finishedAt ?? null,
    error: workflow.error?.message ?? null,
    rollback: workflow.rollback ? rollbackView(workflow.rollback) : null,
    operations: workflow.operations.map(batchOperationView),
  }
}

export function rollbackView(rollback: RollbackResult) {
  return {
    rollback_id: rollback.rollbackId,
    success: rollback.success,
    operations_executed: rollback.operationsExecuted,
    operations_failed: rollback.operationsFailed,
    not_reversible: rollback.notReversible,
    errors: rollback.errors.map((error) => ({
      workflow_id: error.workflowId,
      operation_id: error.operationId,
      item: error.item ?? null,
      error: error.error.message,
    })),
    duration: rollback.duration,
    started_at: rollback.startedAt,
    workflow_id: rollback.workflowId ?? null,
    checkpoint_id: rollback.checkpointId ?? null,
  }
}

/** `150 MB`-style sizes, as 004 shows a checkpoint's size; `size_bytes` keeps the exact figure. */
export function humanSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)}${units[unit]}`
}

export function checkpointView(checkpoint: CheckpointSummary | Checkpoint) {
  return {
    id: checkpoint.id,
    name: checkpoint.name,
    description: checkpoint.description ?? null,
    created_at: checkpoint.created_at,
    size: humanSize(checkpoint.size),
    size_bytes: checkpoint.size,
    operations_count: checkpoint.operations_count,
    workflows_count: checkpoint.workflows_count,
  }
}
