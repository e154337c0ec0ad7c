import type { Engine, WorkflowSubmission } from '@provisio/engine'
import { planInfra, PLAN_OPERATION, type PlanRequest } from './plan'
import type { PlanInput } from './provider'
import { inlineInfra, loadInfra } from './settings'
import type { Workspaces } from './workspaces'

/** What every workspace submission names: where the infra is and how to run it. */
export interface InfraParams {
  workspace: string
  infra: string
  settings: string
  check_mode: boolean
  /** Settings given with the request, planned in place of the settings file (`inlineInfra`). */
  inline?: unknown
}

/**
 * The workflow of a request on an infra: the `plan` operation first, then (unless `check_mode`)
 * the operations of the plan, each depending on it. An infra that cannot be planned (missing
 * folder or settings, invalid settings...) submits the `plan` operation alone, which then fails
 * with the same error: the caller gets a task that ends `failed` naming what is wrong, never an
 * HTTP error.
 */
export async function buildInfraWorkflow(
  engine: Engine,
  workspaces: Workspaces,
  name: string,
  params: InfraParams,
  request: PlanRequest,
): Promise<WorkflowSubmission> {
  const workspaceDir = await workspaces.directory(params.workspace)
  const planInput: PlanInput = {
    workspace: params.workspace,
    workspaceDir,
    infra: params.infra,
    settings: params.settings,
    check: params.check_mode,
    request,
    ...(params.inline === undefined ? {} : { inline: params.inline }),
  }
  const submission: WorkflowSubmission = {
    name,
    labels: { workspace: params.workspace, infra: params.infra, settings: params.settings, check_mode: String(params.check_mode) },
    operations: [{ id: PLAN_OPERATION, provider: 'workspace', action: 'plan', input: planInput }],
  }
  if (params.check_mode) return submission
  try {
    const loaded =
      params.inline === undefined ? await loadInfra(workspaceDir, params.infra, params.settings) : inlineInfra(workspaceDir, params.infra, params.inline)
    const records = await workspaces.servers.list({ workspace: params.workspace, infra: params.infra })
    const plan = await planInfra(loaded, request, { workspace: params.workspace, getAction: (provider, action) => engine.getAction(provider, action), records })
    submission.operations.push(...plan.operations)
  } catch {
    // The plan operation meets the same error when it runs, and fails the task with it.
  }
  return submission
}
