import { createEngine } from '@provisio/engine'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIdentity } from '../../src/identity'
import { accountsPart } from '../../src/surfaces/cloudlab/accounts'
import { mergePermissions } from '../../src/surfaces/cloudlab/accounts/catalog'
import { createProfiles } from '../../src/surfaces/cloudlab/accounts/profiles'
import { createVault } from '../../src/surfaces/cloudlab/accounts/vault'
import type { CloudlabContext } from '../../src/surfaces/cloudlab/context'
import { createRoleIds } from '../../src/surfaces/cloudlab/role-ids'

describe('cloudlab context.users: what the other parts read about users', () => {
  const engine = createEngine()
  const identity = createIdentity({ storage: engine.storage })
  let part: ReturnType<typeof accountsPart>

  beforeAll(async () => {
    await engine.start()
    const context = {
      deps: { engine, identity },
      servicesDir: '/nonexistent',
      inventoryTypesDir: '/nonexistent',
      vault: createVault({ engine, identity }),
      permissions: async () => mergePermissions([]),
      users: () => part.users(),
      roleIds: createRoleIds(engine.storage),
    } as unknown as CloudlabContext
    part = accountsPart(context)
  })
  afterAll(async () => {
    await part.dispose?.()
    await engine.stop({ graceMs: 0 })
  })

  it('lists active, invited and deactivated users with their profile and role names', async () => {
    const profiles = createProfiles(engine.storage)
    const admin = await identity.users.create({ username: 'admin', password: 'admin-password', roles: ['admin'], email: 'admin@example.com' })
    await profiles.update(admin.id, { display_name: 'The Admin', ssh_public_key: 'ssh-ed25519 AAAA admin@cloudlab' })
    const invited = await identity.users.create({ username: 'invited', password: 'some-password', roles: ['viewer'], enabled: false })
    await profiles.update(invited.id, { invited_at: new Date().toISOString() })
    await identity.users.create({ username: 'gone', password: 'some-password', roles: [], enabled: false })

    expect(await part.users()).toEqual([
      {
        id: admin.id,
        username: 'admin',
        email: 'admin@example.com',
        display_name: 'The Admin',
        ssh_public_key: 'ssh-ed25519 AAAA admin@cloudlab',
        roles: ['super-admin'],
        is_active: true,
        status: 'active',
      },
      {
        id: invited.id,
        username: 'invited',
        email: null,
        display_name: 'invited',
        ssh_public_key: null,
        roles: ['viewer'],
        is_active: false,
        status: 'invited',
      },
      expect.objectContaining({ username: 'gone', roles: [], is_active: false, status: 'inactive' }),
    ])
  })
})
