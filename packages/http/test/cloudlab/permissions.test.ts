import { createStorage } from 'unstorage'
import { describe, expect, it } from 'vitest'
import { createIdentity } from '../../src/identity'
import { mergePermissions, staticPermissions } from '../../src/surfaces/cloudlab/accounts/catalog'
import { createDirectory } from '../../src/surfaces/cloudlab/accounts/directory'
import { createNumbering } from '../../src/surfaces/cloudlab/accounts/numbering'
import { createProfiles } from '../../src/surfaces/cloudlab/accounts/profiles'
import type { CloudlabPermission } from '../../src/surfaces/cloudlab/context'

const inventoryType = (slug: string, actions: string[]): CloudlabPermission[] =>
  ['view', 'create', 'edit', 'delete', ...actions].map((action) => ({
    codename: `inventory.${slug}.${action}`,
    category: `inventory.${slug}`,
    label: action,
    description: `${action} ${slug}`,
  }))

describe('cloudlab permissions: the static list and what inventory types add at run time', () => {
  it('merges run-time permissions after the static ones, each codename once', () => {
    const merged = mergePermissions([...inventoryType('server', ['ssh']), { codename: 'users.view', category: 'x', label: 'dup', description: '' }])
    expect(merged.slice(0, staticPermissions.length)).toEqual(staticPermissions)
    expect(merged.slice(staticPermissions.length).map((permission) => permission.codename)).toEqual([
      'inventory.server.view',
      'inventory.server.create',
      'inventory.server.edit',
      'inventory.server.delete',
      'inventory.server.ssh',
    ])
    expect(staticPermissions).toHaveLength(31)
  })

  it('numbers dynamic permissions after the static ones, keeps the numbers when types come and go, and grants them through roles', async () => {
    const storage = createStorage()
    const identity = createIdentity({ storage })
    let dynamic = inventoryType('server', ['ssh'])
    const directory = () =>
      createDirectory({
        identity,
        storage,
        profiles: createProfiles(storage),
        roleIds: createNumbering(storage, 'cloudlab:role-ids'),
        permissionIds: createNumbering(storage, 'cloudlab:permission-ids'),
        permissions: async () => mergePermissions(dynamic),
      })
    const first = directory()
    const catalog = await first.permissionCatalog()
    expect(catalog.map((permission) => permission.id)).toEqual(Array.from({ length: 36 }, (_, index) => index + 1))
    const ssh = catalog.find((permission) => permission.codename === 'inventory.server.ssh')!
    expect(ssh).toMatchObject({ id: 36, category: 'inventory.server' })

    // A new type listed first takes new numbers; the old ones keep theirs, also in a new process.
    dynamic = [...inventoryType('database', ['backup']), ...inventoryType('server', ['ssh'])]
    const second = await directory().permissionCatalog()
    expect(second.find((permission) => permission.codename === 'inventory.server.ssh')!.id).toBe(36)
    expect(second.find((permission) => permission.codename === 'inventory.database.backup')!.id).toBe(41)
    expect(await first.codenames([36, 41, 1])).toEqual(['inventory.server.ssh', 'inventory.database.backup', 'instances.view'])
    await expect(first.codenames([99])).rejects.toThrow('Permission not found: 99')

    await identity.roles.create({ name: 'server-ops', permissions: ['inventory.server.view', 'inventory.server.ssh', 'instances.view'] })
    expect(await first.permissionsOf(['server-ops'])).toEqual(['instances.view', 'inventory.server.ssh', 'inventory.server.view'])
    // The built-in viewer holds `inventory:*.view`: every type's view, no action.
    const viewer = await first.permissionsOf(['viewer'])
    expect(viewer).toContain('inventory.database.view')
    expect(viewer).not.toContain('inventory.server.ssh')
    expect((await first.permissionsOf(['admin'])).length).toBe(41)
  })
})
