import type { WorkflowRecord, WorkflowStatus } from '@provisio/engine'
import type { LiveState, ServerRecord, WorkspaceInfo } from '../../workspaces'

/** 002's operation statuses. */
export const operationStatuses = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const
export type OperationStatus = (typeof operationStatuses)[number]

/** What a workflow of this surface is for; its `kind` label. */
export type OperationKind = 'server.create' | 'server.delete' | 'taskserv.create' | 'taskserv.delete' | 'workflow'

const statusOf: Record<Exclude<WorkflowStatus, 'rolled_back'>, OperationStatus> = {
  pending: 'pending',
  running: 'running',
  rolling_back: 'running',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
}

/** A cancelled create is rolled back (what it made is undone): to its caller it was cancelled. */
export function operationStatus(workflow: Pick<WorkflowRecord, 'status' | 'cancelRequested'>): OperationStatus {
  if (workflow.status === 'rolled_back') return workflow.cancelRequested ? 'cancelled' : 'failed'
  return statusOf[workflow.status]
}

function resultOfOperation(workflow: WorkflowRecord, id: string): unknown {
  return workflow.operations.find((operation) => operation.id === id && operation.status === 'completed')?.result
}

function operationResults(workflow: WorkflowRecord): Record<string, unknown> {
  return Object.fromEntries(
    workflow.operations.filter((operation) => operation.status === 'completed').map((operation) => [operation.id, operation.result ?? null]),
  )
}

/** What a completed operation produced, in 002's words (`server_id`, `ip_address`). */
function resultOf(workflow: WorkflowRecord): unknown {
  const { labels } = workflow
  if (labels.check_mode === 'true') return { check_mode: true, ...(resultOfOperation(workflow, 'plan') as object) }
  switch (labels.kind as OperationKind) {
    case 'server.create': {
      const record = resultOfOperation(workflow, `record:${labels.server}`) as ServerRecord | undefined
      return record ? { server_id: record.provider_id, hostname: record.name, provider: record.provider, ip_address: record.ip } : null
    }
    case 'server.delete':
      return { server_id: labels.server_id, hostname: labels.server, deleted: true }
    case 'taskserv.create':
    case 'taskserv.delete':
      return {
        taskserv_id: labels.taskserv_id ?? workflow.id,
        name: labels.taskserv,
        servers: serverList(labels.servers),
        operations: operationResults(workflow),
      }
    default:
      return { operations: operationResults(workflow) }
  }
}

export function serverList(joined: string | undefined): string[] {
  return joined ? joined.split(',') : []
}

export function updatedAt(workflow: Pick<WorkflowRecord, 'createdAt' | 'startedAt' | 'finishedAt'>): string {
  return workflow.finishedAt ?? workflow.startedAt ?? workflow.createdAt
}

/** 002's operation record. */
export function operationView(workflow: WorkflowRecord) {
  return {
    id: workflow.id,
    status: operationStatus(workflow),
    created_at: workflow.createdAt,
    updated_at: updatedAt(workflow),
    result: workflow.status === 'completed' ? resultOf(workflow) : null,
    error: workflow.error?.message ?? null,
  }
}

/** 002's workflow details: the operation record with its `workflow_type`. */
export function workflowView(workflow: WorkflowRecord) {
  return { ...operationView(workflow), workflow_type: workflow.labels.workflow_type ?? workflow.labels.kind }
}

/** 002's server: a server record with what its provider says of it now. */
export function serverView(record: ServerRecord, live: LiveState | 'missing' | 'unknown') {
  const state = typeof live === 'object' ? live : undefined
  return {
    id: record.provider_id,
    hostname: record.name,
    provider: record.provider,
    plan: record.plan ?? null,
    zone: record.zone ?? null,
    ip_address: state?.ip ?? record.ip,
    status: state?.status ?? live,
    created_at: record.created_at,
    workspace: record.workspace,
    infra: record.infra,
  }
}

export function workspaceView(workspace: WorkspaceInfo, active: string) {
  return { name: workspace.name, path: workspace.path, active: workspace.name === active, last_used: workspace.last_used ?? null }
}

/** 002's taskserv: one install through this surface, with the status of that install. */
export function taskservView(install: WorkflowRecord) {
  return {
    id: install.id,
    name: install.labels.taskserv,
    version: install.labels.version ?? null,
    servers: serverList(install.labels.servers),
    status: operationStatus(install),
    workspace: install.labels.workspace,
    created_at: install.createdAt,
  }
}
