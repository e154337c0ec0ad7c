import { ValidationError } from '@provisio/engine'
import { z } from 'zod'
import type { SurfaceDeps } from '../../platform/surface-deps'
import { defineRoute, type AuditNote, type RouteDefinition } from '../../platform/types'
import { clusterTemplateName, SERVERS_TEMPLATE, TASKSERV_TEMPLATE } from '../../workspaces'
import { entryName, relativePath } from '../../workspaces/paths'

// 004's bodies, strictly typed: `check_mode: "no"` or an unknown field is a 422, never a guess.
const infraBody = z
  .object({
    infra: entryName.describe('Infra folder of the active workspace'),
    settings: relativePath.describe('Settings file (YAML, or JSON when it ends in .json), relative to the infra folder'),
    check_mode: z.boolean().default(false).describe('Validate and plan only; the plan is the task output'),
    wait: z.boolean().default(true).describe('Wait until created servers are ready'),
  })
  .strict()

const serversBody = infraBody
const taskservBody = infraBody.extend({ operation: z.enum(['create', 'delete']).default('create'), taskserv: entryName }).strict()
const clusterBody = infraBody.extend({ operation: z.literal('create').default('create'), cluster_type: entryName }).strict()

const clusterPrefix = clusterTemplateName('')

/**
 * `POST /workflows/{servers,taskserv,cluster}/create`: each submits a workspace workflow template
 * on the caller's active workspace and answers the task (workflow) id; docs/workspaces.md says
 * what each runs.
 */
export function submissionRoutes({ engine, workspaces }: SurfaceDeps): RouteDefinition[] {
  const submit = async (template: string, userId: string, body: object, audit: AuditNote) => {
    const workspace = await workspaces.active(userId)
    const workflow = await engine.templates.submit(template, { ...body, workspace })
    audit.resource = `workflows/${workflow.id}`
    audit.details = { template, workspace, ...body }
    return workflow.id
  }
  const common = { tags: ['workflows'], permission: 'workflows:create', resource: 'workflows', action: 'create', response: z.string().describe('Task id') }

  return [
    defineRoute({
      ...common,
      method: 'POST',
      path: '/workflows/servers/create',
      summary: 'Submit server creation workflow',
      description: 'Creates the servers listed in the infra settings through their providers, waiting until each is ready when `wait` is true.',
      body: serversBody,
      handler: ({ body, principal, audit }) => submit(SERVERS_TEMPLATE, principal!.userId, body, audit),
    }),
    defineRoute({
      ...common,
      method: 'POST',
      path: '/workflows/taskserv/create',
      summary: 'Submit task service workflow',
      description: "Runs the taskserv's playbook (its `remove_playbook` for `operation: delete`) with ansible on the infra's servers.",
      body: taskservBody,
      handler: ({ body, principal, audit }) => submit(TASKSERV_TEMPLATE, principal!.userId, body, audit),
    }),
    defineRoute({
      ...common,
      method: 'POST',
      path: '/workflows/cluster/create',
      summary: 'Submit cluster workflow',
      description: 'Runs the workflow template of the cluster type (`buildkit`, `kubernetes`, or one a plugin registered): its servers, then its taskservs.',
      body: clusterBody,
      handler: ({ body, principal, audit }) => {
        const { cluster_type: type, ...params } = body
        if (!engine.templates.get(clusterTemplateName(type))) {
          const known = engine.templates
            .list()
            .filter((template) => template.name.startsWith(clusterPrefix))
            .map((template) => template.name.slice(clusterPrefix.length))
          throw new ValidationError('unknown cluster_type', [
            { path: 'cluster_type', message: `no cluster type "${type}" (known: ${known.join(', ') || 'none'})` },
          ])
        }
        return submit(clusterTemplateName(type), principal!.userId, params, audit)
      },
    }),
  ]
}
