import type { CloudlabContext, CloudlabPart } from '../context'

/** Inventory types, objects, tags, ACLs, actions and the SSH terminal. */
export function inventoryPart(_context: CloudlabContext): CloudlabPart {
  return { routes: [] }
}
