import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStorage } from 'unstorage'
import fsDriver from 'unstorage/drivers/fs'
import { afterEach, describe, expect, it } from 'vitest'
import { createAuditLog } from '../../src/audit'
import { createIdentity } from '../../src/identity'
import { createPolicyStore } from '../../src/policies'

const directories: string[] = []

afterEach(async () => {
  await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })))
})

describe('identity, policies and audit on the fs storage driver', () => {
  it('keeps working across a restart from the same directory', async () => {
    const base = await mkdtemp(join(tmpdir(), 'provisio-identity-'))
    directories.push(base)
    const open = () => createStorage({ driver: fsDriver({ base }) })

    const first = open()
    const identity = createIdentity({ storage: first })
    const admin = await identity.bootstrapAdmin({ username: 'admin', password: 'password1' })
    const pair = await identity.login({ username: 'admin', password: 'password1' })
    const policy = await createPolicyStore({ storage: first }).create({ name: 'p', rules: [{ effect: 'Deny', resource: 'servers:*', action: ['delete'] }] })
    await createAuditLog({ storage: first }).record({
      user_id: admin!.id,
      username: 'admin',
      action: 'login',
      resource: 'auth',
      result: 'success',
      details: {},
      ip: null,
    })
    await first.dispose()

    const second = open()
    const restarted = createIdentity({ storage: second })
    await expect(restarted.verify(pair.accessToken)).resolves.toMatchObject({ username: 'admin' })
    await expect(restarted.refresh(pair.refreshToken)).resolves.toBeDefined()
    expect((await restarted.users.list({ role: 'admin' })).total).toBe(1)
    const policies = createPolicyStore({ storage: second })
    expect(await policies.get(policy.id)).toMatchObject({ name: 'p' })
    expect(await policies.evaluate({ user: { id: 'x', username: 'x', roles: [] }, resource: 'servers:a', action: 'delete' })).toBe('deny')
    expect((await createAuditLog({ storage: second }).query({ user_id: admin!.id })).items.map((entry) => entry.action)).toEqual(['login'])
    await second.dispose()
  })
})
