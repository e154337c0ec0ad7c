import type { CloudlabContext, CloudlabPart, CloudlabPermission } from '../context'
import { createInventoryAccess } from './access'
import { actionRoutes } from './action-routes'
import { startAutoSync } from './auto-sync'
import type { InventoryDeps } from './deps'
import { objectRoutes } from './object-routes'
import { serviceConfigRoutes } from './service-config-routes'
import { inventorySockets } from './sockets'
import { createInventoryStore } from './store'
import { tagRoutes } from './tag-routes'
import type { InventoryTypeConfig } from './type-config'
import { createTypeRegistry } from './type-registry'
import { typeRoutes } from './type-routes'

const typePermissions = ['view', 'create', 'edit', 'delete'] as const

/** `inventory.<slug>.{view,create,edit,delete}` and one per action, in category `inventory.<slug>` (reference §4). */
export function inventoryPermissions(types: readonly InventoryTypeConfig[]): CloudlabPermission[] {
  return types.flatMap((type) => {
    const category = `inventory.${type.slug}`
    const base = typePermissions.map((name) => ({
      codename: `${category}.${name}`,
      category,
      label: `${name[0].toUpperCase()}${name.slice(1)} ${type.label}`,
      description: `${name[0].toUpperCase()}${name.slice(1)} ${type.label.toLowerCase()} in the inventory`,
    }))
    const actions = type.actions
      .filter((action) => !(typePermissions as readonly string[]).includes(action.name))
      .map((action) => ({
        codename: `${category}.${action.name}`,
        category,
        label: action.label ?? action.name,
        description: `Run the ${action.label ?? action.name} action on ${type.label.toLowerCase()}`,
      }))
    return [...base, ...actions]
  })
}

/** Inventory types, objects, tags, ACLs, actions and the SSH terminal. */
export function inventoryPart(context: CloudlabContext): CloudlabPart {
  const store = createInventoryStore(context.deps.engine.storage)
  const types = createTypeRegistry(context.inventoryTypesDir)
  const access = createInventoryAccess({ identity: context.deps.identity, store, roleIds: context.roleIds })
  const deps: InventoryDeps = { context, store, types, access }
  const { engine, identity } = context.deps
  const stopAutoSync = startAutoSync({ engine, identity, store, servicesDir: context.servicesDir, users: context.users }, types)
  return {
    // Literal paths (`types`, `tags`) before `/:slug`, as CloudLab's router orders them.
    routes: [...typeRoutes(deps), ...tagRoutes(deps), ...actionRoutes(deps), ...serviceConfigRoutes(deps), ...objectRoutes(deps)],
    websockets: inventorySockets(deps),
    permissions: async () => inventoryPermissions(await types.list()),
    dispose: stopAutoSync,
  }
}
