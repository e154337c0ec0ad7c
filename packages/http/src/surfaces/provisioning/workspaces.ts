import { defineRoute, type RouteDefinition } from '../../platform/types'
import type { ProvisioningContext } from './context'
import { paged } from './paging'
import * as s from './schemas'
import { workspaceView } from './views'

/** `GET /v1/workspaces` and `POST /v1/workspaces/create`: the workspace model shared with the orchestrator (docs/workspaces.md). */
export function workspaceRoutes({ workspaces }: ProvisioningContext): RouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/workspaces',
      summary: 'List workspaces; `active` is the caller’s',
      tags: ['workspaces'],
      permission: 'workspace_read',
      query: s.workspacesQuery,
      handler: async ({ query, principal, headers, event }) => {
        const [all, active] = await Promise.all([workspaces.list(), workspaces.active(principal!.userId)])
        return paged(all, query, headers, event.url).map((workspace) => workspaceView(workspace, active))
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/workspaces/create',
      summary: 'Create a workspace directory under the workspaces root, optionally making it the caller’s active one',
      tags: ['workspaces'],
      permission: 'workspace_create',
      resource: 'workspaces',
      action: 'create',
      body: s.workspaceBody,
      handler: async ({ body, principal, audit }) => {
        const created = await workspaces.create(
          { name: body.name, ...(body.path === undefined ? {} : { path: body.path }), activate: body.activate },
          principal!.userId,
        )
        audit.resource = `workspaces/${created.name}`
        return workspaceView(created, await workspaces.active(principal!.userId))
      },
    }),
  ]
}
