import type { Engine, WorkflowRecord, WorkflowSubmission } from '@provisio/engine'
import { ApiError } from '../../platform/errors'
import type { Workspaces } from '../../workspaces'
import type { OperationKind } from './views'

/** The label marking the workflows this surface submitted: its operations. */
const ORIGIN = { key: 'origin', value: 'provisioning' } as const

/** Labels every operation carries: what it is, where, and who asked. */
export interface OperationLabels {
  kind: OperationKind
  workspace: string
  user: string
  [label: string]: string
}

/** The operations of this surface: engine workflows it submitted, found by their `origin` label. */
export function operationSource(engine: Engine, workspaces: Workspaces) {
  async function all(): Promise<WorkflowRecord[]> {
    const found: WorkflowRecord[] = []
    for (let offset = 0; ; ) {
      const page = await engine.workflows.list({ limit: 1000, offset })
      found.push(...page.items.filter((workflow) => workflow.labels[ORIGIN.key] === ORIGIN.value))
      offset += page.items.length
      if (page.items.length === 0 || offset >= page.total) return found
    }
  }

  return {
    all,
    /** An operation by id; another surface's workflow is not one (404). */
    async get(id: string): Promise<WorkflowRecord> {
      const workflow = await engine.workflows.get(id)
      if (!workflow || workflow.labels[ORIGIN.key] !== ORIGIN.value) throw new ApiError(404, `No operation "${id}"`)
      return workflow
    },
    async submit(submission: WorkflowSubmission, labels: OperationLabels): Promise<WorkflowRecord> {
      const workflow = await engine.workflows.submit({ ...submission, labels: { ...submission.labels, ...labels, [ORIGIN.key]: ORIGIN.value } })
      await workspaces.touch(labels.workspace)
      return workflow
    },
  }
}

export type OperationSource = ReturnType<typeof operationSource>
