import { ApiError } from '../../platform/errors'
import { defineRoute, type RouteDefinition } from '../../platform/types'
import { buildInfraWorkflow, inlineInfra, INLINE_SETTINGS, planInfra, serverDeletion, type ServerRecord } from '../../workspaces'
import type { ProvisioningContext } from './context'
import { liveStates } from './live-state'
import { paged } from './paging'
import * as s from './schemas'
import { operationView, serverView } from './views'

/**
 * Servers: the records of the servers this system created (docs/workspaces.md), with their
 * provider's live state. Creating and deleting are operations (engine workflows) to poll and cancel.
 */
export function serverRoutes(ctx: ProvisioningContext): RouteDefinition[] {
  const { engine, workspaces, operations } = ctx

  async function findServer(id: string, workspace?: string): Promise<ServerRecord> {
    const record = (await workspaces.servers.list(workspace === undefined ? {} : { workspace })).find((each) => each.provider_id === id)
    if (!record) throw new ApiError(404, `No server "${id}"`)
    return record
  }

  return [
    defineRoute({
      method: 'GET',
      path: '/v1/servers',
      summary: 'List the servers this system created, with their live state at the provider',
      tags: ['servers'],
      permission: 'server_read',
      query: s.serversQuery,
      handler: async ({ query, headers, event }) => {
        const records = (await workspaces.servers.list(query.workspace === undefined ? {} : { workspace: query.workspace })).filter(
          (record) => query.provider === undefined || record.provider === query.provider,
        )
        const states = await liveStates(engine, records)
        const views = records.map((record) => serverView(record, states.get(record)!))
        return paged(query.status === undefined ? views : views.filter((view) => view.status === query.status), query, headers, event.url)
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/servers/create',
      summary: 'Create a server through the provider the request names; `check_mode` plans without creating',
      tags: ['servers'],
      permission: 'server_create',
      resource: 'servers',
      action: 'create',
      body: s.serverBody,
      response: s.operationAnswer,
      handler: async ({ body, principal, audit }) => {
        const workspace = await ctx.workspaceOf(body.workspace, principal!.userId)
        const existing = await workspaces.servers.get(workspace, body.infra, body.hostname)
        if (existing) throw new ApiError(409, `Server ${body.hostname} of infra "${body.infra}" exists already (${existing.provider} ${existing.provider_id})`)
        const server = {
          ...body.options,
          name: body.hostname,
          provider: body.provider,
          plan: body.plan,
          zone: body.zone,
          ...(body.tags ? { tags: body.tags } : {}),
        }
        const params = { workspace, infra: body.infra, settings: INLINE_SETTINGS, check_mode: body.check_mode, inline: { servers: [server] } }
        const request = { kind: 'servers', wait: body.wait } as const
        // Planned now as well: an unknown provider or a field it refuses is a 400, not a failed operation.
        await planInfra(inlineInfra(await workspaces.directory(workspace), body.infra, params.inline), request, {
          workspace,
          getAction: (provider, action) => engine.getAction(provider, action),
          records: [],
        })
        const submission = await buildInfraWorkflow(engine, workspaces, 'provisioning/server.create', params, request)
        const workflow = await operations.submit(
          { ...submission, rollbackEnabled: true },
          { kind: 'server.create', workspace, user: principal!.userId, provider: body.provider, server: body.hostname },
        )
        audit.resource = `operations/${workflow.id}`
        audit.details = { workspace, infra: body.infra, provider: body.provider, hostname: body.hostname, check_mode: body.check_mode }
        return operationView(workflow)
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/servers/:id',
      summary: 'Delete a server at its provider and forget it',
      tags: ['servers'],
      permission: 'server_delete',
      resource: 'servers/:id',
      action: 'delete',
      params: s.serverParams,
      body: s.serverDeleteBody,
      response: s.operationAnswer,
      handler: async ({ params, body, principal, audit }) => {
        if (body?.server_id !== undefined && body.server_id !== params.id)
          throw new ApiError(400, `server_id "${body.server_id}" differs from the path's "${params.id}"`)
        const record = await findServer(params.id, body?.workspace)
        const workflow = await operations.submit(
          { name: 'provisioning/server.delete', operations: serverDeletion(record, { force: body?.force ?? false }) },
          {
            kind: 'server.delete',
            workspace: record.workspace,
            user: principal!.userId,
            provider: record.provider,
            server: record.name,
            server_id: record.provider_id,
            infra: record.infra,
          },
        )
        audit.details = { operation: workflow.id, hostname: record.name, provider: record.provider }
        return operationView(workflow)
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/servers/:id/status',
      summary: 'A server with its live state at the provider',
      tags: ['servers'],
      permission: 'server_read',
      params: s.serverParams,
      handler: async ({ params }) => {
        const record = await findServer(params.id)
        const states = await liveStates(engine, [record])
        return serverView(record, states.get(record)!)
      },
    }),
  ]
}
