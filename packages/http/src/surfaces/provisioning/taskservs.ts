import type { WorkflowRecord } from '@provisio/engine'
import { ApiError } from '../../platform/errors'
import { defineRoute, type RouteDefinition } from '../../platform/types'
import { buildInfraWorkflow, inlineInfra, INLINE_SETTINGS, planInfra, type PlanRequest } from '../../workspaces'
import type { ProvisioningContext } from './context'
import { paged } from './paging'
import * as s from './schemas'
import { taskservSettings, type TaskservRequest } from './taskserv-settings'
import { operationStatus, operationView, serverList, taskservView } from './views'

/**
 * Taskservs: services installed by a playbook of the workspace on named servers (ansible). Each
 * install through this surface is a taskserv, listed until a removal of it completes.
 */
export function taskservRoutes(ctx: ProvisioningContext): RouteDefinition[] {
  const { engine, workspaces, operations } = ctx

  /** Installs (not check-mode plans) and the ids of those removed since. */
  async function installs(): Promise<{ installs: WorkflowRecord[]; removed: Set<string> }> {
    const all = await operations.all()
    const removed = new Set(
      all
        .filter((each) => each.labels.kind === 'taskserv.delete' && each.status === 'completed' && each.labels.check_mode !== 'true')
        .map((each) => each.labels.taskserv_id),
    )
    return { installs: all.filter((each) => each.labels.kind === 'taskserv.create' && each.labels.check_mode !== 'true'), removed }
  }

  async function submit(request: TaskservRequest, operation: 'create' | 'delete', checkMode: boolean, userId: string, extra: Record<string, string>) {
    const inline = await taskservSettings(workspaces, request)
    if (operation === 'delete' && !inline.taskservs[0].remove_playbook) {
      throw new ApiError(
        400,
        `Taskserv "${request.name}" has no removal playbook: give its remove_playbook in the infra's settings, or add taskservs/${request.name}-remove.yml to the workspace`,
      )
    }
    const plan: PlanRequest = { kind: 'taskserv', taskserv: request.name, operation }
    const params = { workspace: request.workspace, infra: request.infra, settings: INLINE_SETTINGS, check_mode: checkMode, inline }
    // Planned now as well: a missing playbook or a server without an address is a 400, not a failed operation.
    const records = await workspaces.servers.list({ workspace: request.workspace, infra: request.infra })
    await planInfra(inlineInfra(await workspaces.directory(request.workspace), request.infra, inline), plan, {
      workspace: request.workspace,
      getAction: (provider, action) => engine.getAction(provider, action),
      records,
    })
    const submission = await buildInfraWorkflow(engine, workspaces, `provisioning/taskserv.${operation}`, params, plan)
    return operations.submit(submission, {
      kind: `taskserv.${operation}`,
      workspace: request.workspace,
      user: userId,
      taskserv: request.name,
      servers: request.servers.join(','),
      ...extra,
    })
  }

  return [
    defineRoute({
      method: 'GET',
      path: '/v1/taskservs',
      summary: 'List the taskservs installed through this surface',
      tags: ['taskservs'],
      permission: 'taskserv_read',
      query: s.taskservsQuery,
      handler: async ({ query, headers, event }) => {
        const { installs: all, removed } = await installs()
        const listed = all.filter(
          (install) =>
            !removed.has(install.id) &&
            (query.workspace === undefined || install.labels.workspace === query.workspace) &&
            (query.status === undefined || operationStatus(install) === query.status),
        )
        return paged(listed, query, headers, event.url).map(taskservView)
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/taskservs/create',
      summary: "Run a taskserv's playbook from the workspace on the named servers",
      tags: ['taskservs'],
      permission: 'taskserv_create',
      resource: 'taskservs',
      action: 'create',
      body: s.taskservBody,
      response: s.operationAnswer,
      handler: async ({ body, principal, audit }) => {
        const workspace = await ctx.workspaceOf(body.workspace, principal!.userId)
        const version = body.config.version
        const workflow = await submit({ ...body, workspace, vars: body.config }, 'create', body.check_mode, principal!.userId, {
          infra: body.infra,
          settings: body.settings,
          ...(version === undefined ? {} : { version: String(version) }),
        })
        audit.resource = `taskservs/${workflow.id}`
        audit.details = { workspace, name: body.name, servers: body.servers, check_mode: body.check_mode }
        return operationView(workflow)
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/taskservs/:id',
      summary: 'Remove a taskserv with its removal playbook (`remove_playbook`, or `taskservs/<name>-remove.yml`)',
      tags: ['taskservs'],
      permission: 'taskserv_delete',
      resource: 'taskservs/:id',
      action: 'delete',
      params: s.taskservParams,
      body: s.taskservDeleteBody,
      response: s.operationAnswer,
      handler: async ({ params, body, principal }) => {
        if (body?.taskserv_id !== undefined && body.taskserv_id !== params.id)
          throw new ApiError(400, `taskserv_id "${body.taskserv_id}" differs from the path's "${params.id}"`)
        const { installs: all, removed } = await installs()
        const install = all.find((each) => each.id === params.id && (body?.workspace === undefined || each.labels.workspace === body.workspace))
        if (!install || removed.has(install.id)) throw new ApiError(404, `No taskserv "${params.id}"`)
        if (install.status === 'pending' || install.status === 'running')
          throw new ApiError(409, `Taskserv "${params.id}" is still being installed: cancel operation ${install.id} first`)
        const { labels } = install
        // The removal gets the variables the install ran with.
        const installed = install.operations.find((operation) => operation.id === `taskserv:${labels.taskserv}`)?.input.extraVars as
          | Record<string, unknown>
          | undefined
        const request = {
          workspace: labels.workspace,
          infra: labels.infra,
          settings: labels.settings,
          name: labels.taskserv,
          servers: serverList(labels.servers),
          vars: installed ?? {},
        }
        return operationView(
          await submit(request, 'delete', false, principal!.userId, { infra: labels.infra, settings: labels.settings, taskserv_id: install.id }),
        )
      },
    }),
  ]
}
