import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { NotFoundError, ProvisioError, ValidationError } from '@provisio/engine'
import { createStorage } from 'unstorage'
import { describe, expect, it } from 'vitest'
import { createWorkspaces } from '../../src/workspaces'
import { kindOf } from '../../src/workspaces/paths'
import { tempRoot } from './fixtures'

describe('workspaces', () => {
  it('lists `default` (created on first use), created workspaces and folders made by hand', async () => {
    const root = await tempRoot()
    const workspaces = createWorkspaces({ root, storage: createStorage() })
    expect(await workspaces.list()).toEqual([{ name: 'default', path: join(root, 'default') }])
    expect(await kindOf(join(root, 'default'))).toBe('directory')

    const created = await workspaces.create({ name: 'alpha', path: 'teams/alpha' })
    expect(created).toMatchObject({ name: 'alpha', path: join(root, 'teams', 'alpha') })
    expect(await kindOf(created.path)).toBe('directory')
    await mkdir(join(root, 'handmade'))

    // `teams` only holds a registered workspace: it is not one itself.
    expect((await workspaces.list()).map((workspace) => [workspace.name, workspace.path])).toEqual([
      ['alpha', join(root, 'teams', 'alpha')],
      ['default', join(root, 'default')],
      ['handmade', join(root, 'handmade')],
    ])
    expect(await workspaces.find('alpha')).toMatchObject({ path: join(root, 'teams', 'alpha') })
    expect(await workspaces.find('nope')).toBeUndefined()
  })

  it('refuses a path outside the root, a bad name and a taken name or path', async () => {
    const root = await tempRoot()
    const workspaces = createWorkspaces({ root, storage: createStorage() })
    await expect(workspaces.create({ name: 'out', path: '../elsewhere' })).rejects.toThrow(ValidationError)
    await expect(workspaces.create({ name: 'abs', path: '/tmp/abs' })).rejects.toThrow(/inside the workspaces root/)
    await expect(workspaces.create({ name: 'root', path: '.' })).rejects.toThrow(ValidationError)
    await expect(workspaces.create({ name: '../x' })).rejects.toThrow(ValidationError)
    expect(await kindOf(join(root, '..', 'elsewhere'))).toBeUndefined()

    await workspaces.create({ name: 'beta' })
    const taken = await workspaces.create({ name: 'beta' }).catch((error) => error)
    expect(taken).toBeInstanceOf(ProvisioError)
    expect(taken.code).toBe('conflict')
    await expect(workspaces.create({ name: 'gamma', path: 'beta' })).rejects.toThrow(/already a workspace/)
  })

  it('keeps an active workspace per user, `default` until one is chosen', async () => {
    const root = await tempRoot()
    const storage = createStorage()
    const workspaces = createWorkspaces({ root, storage })
    expect(await workspaces.active('u1')).toBe('default')
    await workspaces.create({ name: 'alpha', activate: true }, 'u1')
    expect(await workspaces.active('u1')).toBe('alpha')
    expect(await workspaces.active('u2')).toBe('default')
    await expect(workspaces.activate('u2', 'missing')).rejects.toThrow(NotFoundError)
    await workspaces.activate('u2', 'alpha')
    // Another model over the same storage (as the server and the engine plugin each have) agrees.
    expect(await createWorkspaces({ root, storage }).active('u2')).toBe('alpha')
  })

  it('keeps server records per workspace and infra', async () => {
    const workspaces = createWorkspaces({ root: await tempRoot(), storage: createStorage() })
    const record = (workspace: string, infra: string, name: string) => ({
      workspace,
      infra,
      name,
      provider: 'vultr',
      provider_id: `id-${name}`,
      ip: '192.0.2.1',
      created_at: '2026-01-01T00:00:00.000Z',
    })
    await workspaces.servers.put(record('default', 'prod', 'web-2'))
    await workspaces.servers.put(record('default', 'prod', 'web-1'))
    await workspaces.servers.put(record('default', 'prod2', 'db.1'))
    await workspaces.servers.put(record('other', 'prod', 'web-1'))
    expect((await workspaces.servers.list({ workspace: 'default', infra: 'prod' })).map((each) => each.name)).toEqual(['web-1', 'web-2'])
    expect((await workspaces.servers.list({ workspace: 'default' })).map((each) => `${each.infra}/${each.name}`)).toEqual([
      'prod/web-1',
      'prod/web-2',
      'prod2/db.1',
    ])
    expect(await workspaces.servers.list()).toHaveLength(4)
    expect(await workspaces.servers.get('default', 'prod2', 'db.1')).toMatchObject({ provider_id: 'id-db.1' })
    expect(await workspaces.servers.remove('default', 'prod', 'web-1')).toBe(true)
    expect(await workspaces.servers.remove('default', 'prod', 'web-1')).toBe(false)
    expect(await workspaces.servers.get('default', 'prod', 'web-1')).toBeUndefined()
  })
})
