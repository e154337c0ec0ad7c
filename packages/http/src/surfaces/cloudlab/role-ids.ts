import { normalizeRoleName } from '../../identity/permissions'
import { createKeyedQueue } from '../../identity/serialize'
import type { Storage } from 'unstorage'
import type { CloudlabRoleIds } from './context'

const keys = {
  next: 'cloudlab:role-ids:next',
  byName: (name: string) => `cloudlab:role-ids:by-name:${encodeURIComponent(name)}`,
  byId: (id: number) => `cloudlab:role-ids:by-id:${id}`,
}

/** Role ids kept in the engine's storage: the first name asked for gets 1, the next 2, and so on. */
export function createRoleIds(storage: Storage): CloudlabRoleIds {
  const serialize = createKeyedQueue()
  return {
    async idOf(roleName) {
      const name = normalizeRoleName(roleName)
      const known = await storage.getItem<number>(keys.byName(name))
      if (typeof known === 'number') return known
      return serialize('next', async () => {
        const again = await storage.getItem<number>(keys.byName(name))
        if (typeof again === 'number') return again
        const id = ((await storage.getItem<number>(keys.next)) ?? 0) + 1
        await storage.setItem(keys.next, id)
        await storage.setItem(keys.byId(id), name)
        await storage.setItem(keys.byName(name), id)
        return id
      })
    },
    async nameOf(id) {
      if (!Number.isSafeInteger(id) || id < 1) return undefined
      return (await storage.getItem<string>(keys.byId(id))) ?? undefined
    },
  }
}
