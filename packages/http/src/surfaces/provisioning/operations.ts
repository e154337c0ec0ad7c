import { defineRoute, type RouteDefinition } from '../../platform/types'
import type { ProvisioningContext } from './context'
import { paged } from './paging'
import * as s from './schemas'
import { operationStatus, operationView } from './views'

/** Operations: every server, taskserv and workflow request of this surface, newest first. */
export function operationRoutes({ operations, cancellation }: ProvisioningContext): RouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/operations',
      summary: 'List operations, filtered by status, workspace or provider',
      tags: ['operations'],
      permission: 'operation_read',
      query: s.operationsQuery,
      handler: async ({ query, headers, event }) => {
        const matching = (await operations.all()).filter(
          (workflow) =>
            (query.status === undefined || operationStatus(workflow) === query.status) &&
            (query.workspace === undefined || workflow.labels.workspace === query.workspace) &&
            (query.provider === undefined || workflow.labels.provider === query.provider),
        )
        return paged(matching, query, headers, event.url).map(operationView)
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/operations/:id',
      summary: 'An operation: its status, result and error',
      tags: ['operations'],
      permission: 'operation_read',
      params: s.idParams,
      response: s.operationAnswer,
      handler: async ({ params }) => operationView(await operations.get(params.id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/operations/:id/cancel',
      summary: 'Cancel an operation; a cancelled create deletes what it made',
      tags: ['operations'],
      permission: 'operation_cancel',
      resource: 'operations/:id',
      action: 'cancel',
      params: s.idParams,
      response: s.operationAnswer,
      handler: async ({ params }) => {
        await operations.get(params.id)
        return operationView(await cancellation.cancel(params.id))
      },
    }),
  ]
}
