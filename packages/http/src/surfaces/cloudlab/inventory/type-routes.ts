import { ApiError } from '../../../platform/errors'
import { defineRoute, type RouteDefinition } from '../../../platform/types'
import { permissionDenied } from './access'
import { typeOrThrow, type InventoryDeps } from './deps'
import { typeParams } from './schemas'
import { syncType } from './sync'
import { describeType, syncSource } from './type-config'

const tags = ['inventory']

/** The types of the inventory-types folder and the built-in ones, and their sync. */
export function typeRoutes(deps: InventoryDeps): RouteDefinition[] {
  const { context } = deps
  return [
    defineRoute({
      method: 'GET',
      path: '/api/inventory/types',
      summary: 'List the inventory types the user may view, with their fields, actions and sync source',
      tags,
      // The real backend lists every type; its UI then counts each one on the dashboard, and a
      // type the user may not view answers those counts with 403s.
      handler: async ({ principal }) => ({
        types: (await deps.types.list()).filter((type) => deps.access.type(principal!, type.slug, 'view')).map(describeType),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/inventory/types/:slug',
      summary: 'One inventory type',
      tags,
      params: typeParams,
      handler: async ({ params }) => describeType(await typeOrThrow(deps.types, params.slug)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/inventory/:slug/sync',
      summary: 'Fill the type from its sync source (vultr_inventory, service_discovery, user_sync, deployment_sync)',
      tags,
      audit: 'inventory.sync',
      params: typeParams,
      async handler({ params, principal, audit }) {
        const type = await typeOrThrow(deps.types, params.slug)
        if (!deps.access.type(principal!, type.slug, 'view')) throw permissionDenied()
        const source = syncSource(type)
        if (!source) throw new ApiError(400, 'This type has no sync source')
        const { engine, identity } = context.deps
        const result = await syncType({ engine, identity, store: deps.store, servicesDir: context.servicesDir, users: context.users }, type, source)
        audit.resource = `inventory/${type.slug}`
        audit.details = { source, ...result }
        return { ok: true, ...result }
      },
    }),
  ]
}
