import { ValidationError, type Engine } from '@provisio/engine'
import { z } from 'zod'
import { defineRoute, type RouteDefinition } from '../../platform/types'
import type { ProvisioningContext } from './context'
import * as s from './schemas'
import { operationView, workflowView } from './views'

/** Whether a template's parameters take a `workspace` (the workspace templates do; another plugin's may not). */
function takesWorkspace(params: z.ZodType): boolean {
  return params instanceof z.ZodObject && 'workspace' in params.shape
}

/** The template a `workflow_type` names, or a 400 listing the registered ones. */
function templateOf(engine: Engine, type: string) {
  const template = engine.templates.get(type)
  if (template) return template
  const known = engine.templates.list().map((each) => each.name)
  throw new ValidationError('unknown workflow_type', [
    { path: 'workflow_type', message: `no workflow type "${type}" (registered: ${known.join(', ') || 'none'})` },
  ])
}

/** Workflows: a workflow template a plugin registered (`cluster_create`...), submitted with its parameters. */
export function workflowRoutes(ctx: ProvisioningContext): RouteDefinition[] {
  const { engine, operations, cancellation } = ctx

  return [
    defineRoute({
      method: 'POST',
      path: '/v1/workflows/submit',
      summary: 'Submit a workflow of a registered type (`cluster_create`: servers, then taskservs)',
      tags: ['workflows'],
      permission: 'workflow_submit',
      resource: 'workflows',
      action: 'submit',
      body: s.workflowBody,
      response: s.operationAnswer,
      handler: async ({ body, principal, audit }) => {
        const workspace = await ctx.workspaceOf(body.workspace, principal!.userId)
        const template = templateOf(engine, body.workflow_type)
        const parsed = template.params.safeParse(takesWorkspace(template.params) ? { ...body.parameters, workspace } : body.parameters)
        if (!parsed.success) throw ValidationError.fromZod(`invalid parameters of workflow type "${body.workflow_type}"`, parsed.error, 'parameters')
        const submission = await template.build(parsed.data, { engine })
        // A cancelled or failed workflow undoes what it made (servers it created are deleted).
        const workflow = await operations.submit(
          { ...submission, rollbackEnabled: true },
          { kind: 'workflow', workspace, user: principal!.userId, workflow_type: body.workflow_type },
        )
        audit.resource = `workflows/${workflow.id}`
        audit.details = { workspace, workflow_type: body.workflow_type }
        return operationView(workflow)
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/workflows/:id',
      summary: 'A workflow with its type and status',
      tags: ['workflows'],
      permission: 'workflow_read',
      params: s.idParams,
      handler: async ({ params }) => workflowView(await operations.get(params.id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/workflows/:id/cancel',
      summary: 'Cancel a workflow; what it made is undone',
      tags: ['workflows'],
      permission: 'workflow_cancel',
      resource: 'workflows/:id',
      action: 'cancel',
      params: s.idParams,
      handler: async ({ params }) => {
        await operations.get(params.id)
        return operationView(await cancellation.cancel(params.id))
      },
    }),
  ]
}
