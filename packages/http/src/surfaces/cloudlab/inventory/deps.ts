import type { H3Event } from 'h3'
import type { Principal } from '../../../identity'
import { ApiError } from '../../../platform/errors'
import type { CloudlabContext } from '../context'
import type { InventoryAccess } from './access'
import type { InventoryStore } from './store'
import type { InventoryTypeConfig } from './type-config'
import type { TypeRegistry } from './type-registry'

/** What the inventory's routes and sockets are built from. */
export interface InventoryDeps {
  context: CloudlabContext
  store: InventoryStore
  types: TypeRegistry
  access: InventoryAccess
}

export async function typeOrThrow(types: TypeRegistry, slug: string): Promise<InventoryTypeConfig> {
  const type = await types.get(slug)
  if (!type) throw new ApiError(404, `Inventory type '${slug}' not found`)
  return type
}

/** An entry in the shared audit log, for what the platform does not audit by itself (sockets, dynamic action names). */
export async function auditInventory(
  deps: InventoryDeps,
  entry: { principal: Principal; action: string; resource: string; details?: Record<string, unknown>; event?: H3Event },
): Promise<void> {
  const ip = (entry.event?.context.provisio as { ip?: string } | undefined)?.ip ?? null
  await deps.context.deps.audit.record({
    user_id: entry.principal.userId,
    username: entry.principal.username,
    action: entry.action,
    resource: entry.resource,
    result: 'success',
    details: entry.details ?? {},
    ip,
    surface: 'cloudlab',
  })
}
