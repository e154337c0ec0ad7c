import { ApiError } from '../../../platform/errors'
import { defineRoute, type RouteDefinition } from '../../../platform/types'
import { permissionDenied } from './access'
import { runAction } from './actions'
import { auditInventory, typeOrThrow, type InventoryDeps } from './deps'
import { actionBody, objectActionParams, typeActionParams } from './schemas'

const tags = ['inventory']

/** Actions of an object or of a whole type, each run as an engine job. */
export function actionRoutes(deps: InventoryDeps): RouteDefinition[] {
  const { context, store, access } = deps
  const runner = { engine: context.deps.engine, servicesDir: context.servicesDir }

  return [
    defineRoute({
      method: 'POST',
      path: '/api/inventory/:slug/:id/actions/:action',
      summary: 'Run an action on an object (needs `inventory.<type>.<action>` or an ACL/tag grant); follow it on /api/inventory/ws/{id}/action?job=<job_id>',
      tags,
      // Audited below as `inventory.action.<name>`, the action's own name.
      audit: false,
      params: objectActionParams,
      body: actionBody,
      async handler({ params, body, principal, event }) {
        const type = await typeOrThrow(deps.types, params.slug)
        const object = await store.getObject(params.id)
        if (!object || object.type !== type.slug) throw new ApiError(404, 'Object not found')
        if (!(await access.object(principal!, object, params.action))) throw permissionDenied()
        const action = type.actions.find((candidate) => candidate.name === params.action)
        if (!action) throw new ApiError(404, `Action '${params.action}' not found`)
        const job = await runAction(runner, { type, action, object, principal: principal!, script: body?.script, inputs: body?.inputs })
        await auditInventory(deps, {
          principal: principal!,
          action: `inventory.action.${action.name}`,
          resource: `inventory/${type.slug}/${object.id}`,
          details: { action: action.name, job_id: job.id },
          event,
        })
        return { job_id: job.id }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/inventory/:slug/actions/:action',
      summary: 'Run a type action (`scope: type`) as an engine job',
      tags,
      audit: false,
      params: typeActionParams,
      body: actionBody,
      async handler({ params, body, principal, event }) {
        const type = await typeOrThrow(deps.types, params.slug)
        if (!access.type(principal!, type.slug, params.action)) throw permissionDenied()
        const action = type.actions.find((candidate) => candidate.name === params.action && candidate.scope === 'type')
        if (!action) throw new ApiError(404, `Type action '${params.action}' not found`)
        const job = await runAction(runner, { type, action, principal: principal!, script: body?.script, inputs: body?.inputs })
        await auditInventory(deps, {
          principal: principal!,
          action: `inventory.action.${action.name}`,
          resource: `inventory/${type.slug}`,
          details: { action: action.name, scope: 'type', job_id: job.id },
          event,
        })
        return { job_id: job.id }
      },
    }),
  ]
}
