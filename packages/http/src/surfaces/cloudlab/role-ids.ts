import type { Storage } from 'unstorage'
import { normalizeRoleName } from '../../identity/permissions'
import { createNumbering } from './accounts/numbering'
import type { CloudlabRoleIds } from './context'

/** Role ids kept in storage: the accounts part numbers roles as it lists them; other parts ask by name. */
export function createRoleIds(storage: Storage): CloudlabRoleIds {
  const numbering = createNumbering(storage, 'cloudlab:role-ids')
  return {
    ...numbering,
    async idOf(roleName) {
      const name = normalizeRoleName(roleName)
      return (await numbering.number([name])).get(name) as number
    },
  }
}
