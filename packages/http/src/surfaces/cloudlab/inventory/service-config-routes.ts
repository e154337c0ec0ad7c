import { z } from 'zod'
import { ApiError } from '../../../platform/errors'
import { defineRoute, type RouteDefinition } from '../../../platform/types'
import { ServiceFiles } from '../operations/service-files'
import { pathSegment, ServiceCatalog } from '../operations/services'
import { permissionDenied } from './access'
import type { InventoryDeps } from './deps'

const tags = ['inventory']
const objectId = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER)
const serviceObjectParams = z.object({ id: objectId })
const serviceConfigParams = z.object({ id: objectId, filename: pathSegment })

/**
 * A service object's config files (the real backend's `/service/{obj}/configs[/{f}]`): the
 * operations part's config files of the service named in the object's `data.name`, behind the
 * inventory's object check (`config` to read, `edit` to write).
 */
export function serviceConfigRoutes(deps: InventoryDeps): RouteDefinition[] {
  const { store, access, context } = deps
  const files = new ServiceFiles(new ServiceCatalog(context.servicesDir))

  async function serviceOf(id: number, principal: Parameters<typeof access.object>[0], permission: string): Promise<string> {
    const object = await store.getObject(id)
    if (object?.type !== 'service') throw new ApiError(404, 'Object not found')
    if (!(await access.object(principal, object, permission))) throw permissionDenied()
    const name = object.data.name
    if (typeof name !== 'string' || name.length === 0) throw new ApiError(400, 'The service object names no service')
    return name
  }

  return [
    defineRoute({
      method: 'GET',
      path: '/api/inventory/service/:id/configs',
      summary: "A service object's config files and whether each exists",
      tags,
      params: serviceObjectParams,
      handler: async ({ params, principal }) => files.listConfigs(await serviceOf(params.id, principal!, 'config')),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/inventory/service/:id/configs/:filename',
      summary: "Reads one of a service object's config files",
      tags,
      params: serviceConfigParams,
      handler: async ({ params, principal }) => files.readConfig(await serviceOf(params.id, principal!, 'config'), params.filename),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/inventory/service/:id/configs/:filename',
      summary: "Writes one of a service object's config files: valid YAML, 100 KB at most, the old one kept as <file>.backup",
      tags,
      audit: 'inventory.service.config.edit',
      resource: 'inventory/service/:id/configs/:filename',
      params: serviceConfigParams,
      body: z.object({ content: z.string() }),
      handler: async ({ params, body, principal }) => files.writeConfig(await serviceOf(params.id, principal!, 'edit'), params.filename, body.content),
    }),
  ]
}
