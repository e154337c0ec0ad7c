import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inventoryPermissions } from '../../../src/surfaces/cloudlab/inventory'
import { createTypeRegistry } from '../../../src/surfaces/cloudlab/inventory/type-registry'
import { typeFiles } from './fixtures'
import { startInventory, type InventoryServer } from './start'

describe('cloudlab inventory: types, objects, tags, ACLs', () => {
  let app: InventoryServer
  let admin: string
  let vera: { token: string } // inventory.app.view only
  let eddie: { token: string } // view, create, edit, delete and the hello action on apps
  let nora: { token: string } // no roles at all
  let tim: { token: string } // inventory.tags.manage
  let viewerRole: number
  let editorRole: number

  const create = async (data: Record<string, unknown>, tagIds: number[] = []) => {
    const answer = await app.api('POST', '/api/inventory/app', { token: admin, body: { data, tag_ids: tagIds } })
    expect(answer.status).toBe(200)
    return answer.body
  }

  beforeAll(async () => {
    app = await startInventory({ files: typeFiles })
    admin = app.adminToken
    viewerRole = await app.role('app_viewer', ['inventory.app.view'])
    editorRole = await app.role('app_editor', [
      'inventory.app.view',
      'inventory.app.create',
      'inventory.app.edit',
      'inventory.app.delete',
      'inventory.app.hello',
    ])
    await app.role('tagger', ['inventory.tags.manage'])
    vera = await app.userWithRoles('vera', ['app_viewer'])
    eddie = await app.userWithRoles('eddie', ['app_editor'])
    nora = await app.userWithRoles('nora', [])
    tim = await app.userWithRoles('tim', ['tagger'])
  })
  afterAll(() => app?.close())

  it("lists the folder's types in file order, then the built-in ones; files with errors are skipped", async () => {
    const { status, body } = await app.api('GET', '/api/inventory/types', { token: admin })
    expect(status).toBe(200)
    expect(body.types.map((type: { slug: string }) => type.slug)).toEqual(['app', 'database', 'server', 'service', 'user', 'deployment'])
    const database = body.types[1]
    expect(database).toMatchObject({ slug: 'database', label: 'Databases', icon: '', description: '', sync: { source: 'service_discovery' } })
    expect(database.fields[0]).toEqual({ name: 'name', type: 'string', required: true, unique: true, searchable: true })
    expect(database.actions[0]).toMatchObject({ name: 'backup', type: 'playbook', vars_mapping: { db_name: '{{ name }}' }, confirm: 'Start a backup?' })
    expect((await app.api('GET', '/api/inventory/types/database', { token: nora.token })).body).toEqual(database)
    // Their inventory page takes a `null` sync for an object and fails on `sync.source`: no key at all.
    expect(body.types[0]).not.toHaveProperty('sync')
    expect((await app.api('GET', '/api/inventory/types/app', { token: nora.token })).body).not.toHaveProperty('sync')
    expect(await app.api('GET', '/api/inventory/types/broken', { token: nora.token })).toEqual({
      status: 404,
      body: { detail: "Inventory type 'broken' not found" },
    })
    expect((await app.api('GET', '/api/inventory/types')).status).toBe(401)
  })

  it('lists only the types a user may view (their dashboard counts every listed type)', async () => {
    expect((await app.api('GET', '/api/inventory/types', { token: nora.token })).body).toEqual({ types: [] })
    const { body } = await app.api('GET', '/api/inventory/types', { token: vera.token })
    expect(body.types.map((type: { slug: string }) => type.slug)).toEqual(['app'])
  })

  it('documents its routes in the OpenAPI document', async () => {
    const { status, body } = await app.api('GET', '/openapi.json')
    expect(status).toBe(200)
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(['/api/inventory/types', '/api/inventory/{slug}/{id}/acl', '/api/inventory/{slug}/{id}/actions/{action}']),
    )
  })

  it('names a dynamic permission per type and action, without repeating view/create/edit/delete', async () => {
    const codenames = inventoryPermissions(await createTypeRegistry(app.typesDir).list()).map((permission) => permission.codename)
    expect(codenames.filter((name) => name.startsWith('inventory.app.'))).toEqual([
      'inventory.app.view',
      'inventory.app.create',
      'inventory.app.edit',
      'inventory.app.delete',
      'inventory.app.hello',
      'inventory.app.fail',
    ])
    expect(codenames).toContain('inventory.database.backup')
    expect(codenames).toContain('inventory.server.ssh')
  })

  it('creates objects with required and unique fields enforced, lists them newest first with search and pages', async () => {
    const alpha = await create({ name: 'alpha', owner: 'Ann Archer', serial: 's-1' })
    expect(alpha).toMatchObject({
      id: expect.any(Number),
      type_id: 1,
      data: { name: 'alpha', owner: 'Ann Archer', serial: 's-1' },
      tags: [],
      created_by: expect.any(String),
    })
    const beta = await create({ name: 'beta', owner: 'Bob' })
    expect(await app.api('POST', '/api/inventory/app', { token: admin, body: { data: { owner: 'x' } } })).toEqual({
      status: 400,
      body: { detail: 'Missing required field: name' },
    })
    expect(await app.api('POST', '/api/inventory/app', { token: admin, body: { data: { name: 'alpha' } } })).toEqual({
      status: 409,
      body: { detail: 'Duplicate value for unique field: name' },
    })

    // Concurrent creates of one unique value: one wins, the others get the 409.
    const racing = await Promise.all(
      Array.from({ length: 5 }, () => app.api('POST', '/api/inventory/app', { token: admin, body: { data: { name: 'racer' } } })),
    )
    expect(racing.map((answer) => answer.status).sort()).toEqual([200, 409, 409, 409, 409])
    await app.api('DELETE', `/api/inventory/app/${racing.find((answer) => answer.status === 200)!.body.id}`, { token: admin })

    const all = await app.api('GET', '/api/inventory/app', { token: vera.token })
    expect(all.status).toBe(200)
    expect(all.body.objects.map((object: { id: number }) => object.id)).toEqual([beta.id, alpha.id])
    expect(all.body).toMatchObject({ total: 2, page: 1, per_page: 100 })
    // Their UI's lists link each object by a top-level `name` (the real backend sends none).
    expect(all.body.objects.map((object: { type_slug: string; name: string }) => [object.type_slug, object.name])).toEqual([
      ['app', 'beta'],
      ['app', 'alpha'],
    ])
    expect((await app.api('GET', `/api/inventory/app/${alpha.id}`, { token: vera.token })).body).toMatchObject({ type_slug: 'app', name: 'alpha' })
    const searched = await app.api('GET', '/api/inventory/app?search=ARCHER', { token: vera.token })
    expect(searched.body.objects.map((object: { id: number }) => object.id)).toEqual([alpha.id])
    const second = await app.api('GET', '/api/inventory/app?per_page=1&page=2', { token: vera.token })
    expect(second.body).toMatchObject({ total: 2, page: 2, per_page: 1, objects: [{ id: alpha.id }] })

    // An update merges, keeps readonly fields and does not re-check unique ones.
    const updated = await app.api('PUT', `/api/inventory/app/${alpha.id}`, { token: eddie.token, body: { data: { owner: 'Anna', serial: 'forged' } } })
    expect(updated.body.data).toEqual({ name: 'alpha', owner: 'Anna', serial: 's-1' })
    expect((await app.api('GET', `/api/inventory/app/${alpha.id}`, { token: vera.token })).body.data.owner).toBe('Anna')
    expect(await app.api('DELETE', `/api/inventory/app/${beta.id}`, { token: eddie.token })).toEqual({ status: 200, body: { status: 'deleted' } })
    expect(await app.api('GET', `/api/inventory/app/${beta.id}`, { token: admin })).toEqual({ status: 404, body: { detail: 'Object not found' } })
    // An object is found under its own type only.
    expect((await app.api('GET', `/api/inventory/database/${alpha.id}`, { token: admin })).status).toBe(404)

    const audited = await app.audit.query({ action: 'inventory.create' })
    expect(audited.items.find((entry) => entry.resource === `inventory/app/${beta.id}`)).toMatchObject({
      username: 'admin',
      result: 'success',
      surface: 'cloudlab',
    })
    // Refused creates (the duplicates) are in the log too.
    expect(audited.items.filter((entry) => entry.result === 'failure').length).toBeGreaterThanOrEqual(5)
  })

  it('manages tags with object counts, adds and removes them on objects, and filters by tag name', async () => {
    const created = await app.api('POST', '/api/inventory/tags', { token: tim.token, body: { name: '  prod  ', color: '#f00' } })
    expect(created).toEqual({ status: 200, body: { id: expect.any(Number), name: 'prod', color: '#f00' } })
    const prod = created.body
    expect(await app.api('POST', '/api/inventory/tags', { token: tim.token, body: { name: 'prod' } })).toEqual({
      status: 409,
      body: { detail: 'Tag already exists' },
    })
    const blank = await app.api('POST', '/api/inventory/tags', { token: tim.token, body: { name: '   ' } })
    expect(blank.status).toBe(422)
    expect(blank.body.detail[0]).toMatchObject({ loc: ['body', 'name'], msg: 'Value error, Tag name must be 1-100 characters' })
    const staging = (await app.api('POST', '/api/inventory/tags', { token: tim.token, body: { name: 'staging' } })).body

    const gamma = await create({ name: 'gamma' }, [prod.id])
    const delta = await create({ name: 'delta' })
    expect(gamma.tags).toEqual([{ id: prod.id, name: 'prod', color: '#f00' }])
    const added = await app.api('POST', `/api/inventory/app/${delta.id}/tags`, { token: eddie.token, body: { tag_ids: [prod.id, staging.id] } })
    expect(added.body.tags.map((tag: { name: string }) => tag.name)).toEqual(['prod', 'staging'])
    const counts = (await app.api('GET', '/api/inventory/tags', { token: nora.token })).body.tags
    expect(counts).toEqual([
      { id: prod.id, name: 'prod', color: '#f00', object_count: 2 },
      { id: staging.id, name: 'staging', color: null, object_count: 1 },
    ])
    const byTag = await app.api('GET', '/api/inventory/app?tag=staging', { token: vera.token })
    expect(byTag.body.objects.map((object: { id: number }) => object.id)).toEqual([delta.id])
    expect((await app.api('GET', '/api/inventory/app?tag=nope', { token: vera.token })).body).toMatchObject({ objects: [], total: 0 })

    const removed = await app.api('DELETE', `/api/inventory/app/${delta.id}/tags/${staging.id}`, { token: eddie.token })
    expect(removed.body.tags.map((tag: { name: string }) => tag.name)).toEqual(['prod'])
    expect((await app.api('PUT', `/api/inventory/tags/${staging.id}`, { token: tim.token, body: { name: 'stage', color: 'blue' } })).body).toEqual({
      id: staging.id,
      name: 'stage',
      color: 'blue',
    })
    expect(await app.api('DELETE', `/api/inventory/tags/${prod.id}`, { token: tim.token })).toEqual({ status: 200, body: { status: 'deleted' } })
    expect((await app.api('GET', `/api/inventory/app/${gamma.id}`, { token: admin })).body.tags).toEqual([])
    expect(await app.api('DELETE', `/api/inventory/tags/${prod.id}`, { token: tim.token })).toEqual({ status: 404, body: { detail: 'Tag not found' } })
  })

  it('checks objects in the reference order: an ACL deny beats a role allow and an ACL allow, an ACL allow and a tag permission grant what the role lacks', async () => {
    const hidden = await create({ name: 'hidden' })
    const shared = await create({ name: 'shared' })
    const locked = await create({ name: 'locked' })

    // Deny beats the role's inventory.app.view: the object leaves vera's list (total still counts it) and its page.
    const deny = await app.api('POST', `/api/inventory/app/${hidden.id}/acl`, {
      token: admin,
      body: { role_id: viewerRole, permission: 'view', effect: 'deny' },
    })
    expect(deny.body).toEqual({ id: expect.any(Number), role_id: viewerRole, permission: 'view', effect: 'deny' })
    expect(await app.api('GET', `/api/inventory/app/${hidden.id}`, { token: vera.token })).toEqual({ status: 403, body: { detail: 'Permission denied' } })
    const listed = (await app.api('GET', '/api/inventory/app?search=hidden', { token: vera.token })).body
    expect(listed).toMatchObject({ objects: [], total: 1 })
    expect((await app.api('GET', `/api/inventory/app/${hidden.id}`, { token: eddie.token })).status).toBe(200)

    // Deny beats an allow for the same role, and eddie's role edit right.
    await app.api('POST', `/api/inventory/app/${locked.id}/acl`, { token: admin, body: { role_id: editorRole, permission: 'edit', effect: 'allow' } })
    await app.api('POST', `/api/inventory/app/${locked.id}/acl`, { token: admin, body: { role_id: editorRole, permission: 'edit', effect: 'deny' } })
    expect((await app.api('PUT', `/api/inventory/app/${locked.id}`, { token: eddie.token, body: { data: { owner: 'x' } } })).status).toBe(403)

    // An ACL allow gives vera edit on one object, which her role does not grant.
    expect((await app.api('PUT', `/api/inventory/app/${shared.id}`, { token: vera.token, body: { data: { owner: 'v' } } })).status).toBe(403)
    const allow = await app.api('POST', `/api/inventory/app/${shared.id}/acl`, { token: admin, body: { role_id: viewerRole, permission: 'edit' } })
    expect(allow.body.effect).toBe('allow')
    expect((await app.api('PUT', `/api/inventory/app/${shared.id}`, { token: vera.token, body: { data: { owner: 'v' } } })).body.data.owner).toBe('v')

    const rules = await app.api('GET', `/api/inventory/app/${shared.id}/acl`, { token: admin })
    expect(rules.body).toEqual({ acl_rules: [{ id: allow.body.id, role_id: viewerRole, role_name: 'app_viewer', permission: 'edit', effect: 'allow' }] })
    expect((await app.api('GET', `/api/inventory/app/${shared.id}`, { token: admin })).body.acl_rules).toEqual(rules.body.acl_rules)
    expect((await app.api('GET', `/api/inventory/app/${shared.id}`, { token: vera.token })).body).not.toHaveProperty('acl_rules')
    expect(await app.api('DELETE', `/api/inventory/app/${shared.id}/acl/${allow.body.id}`, { token: admin })).toEqual({
      status: 200,
      body: { status: 'deleted' },
    })
    expect((await app.api('PUT', `/api/inventory/app/${shared.id}`, { token: vera.token, body: { data: { owner: 'w' } } })).status).toBe(403)
    expect(await app.api('DELETE', `/api/inventory/app/${shared.id}/acl/${allow.body.id}`, { token: admin })).toEqual({
      status: 404,
      body: { detail: 'ACL rule not found' },
    })
  })

  it('grants a permission through a tag to every object carrying it, for the roles named', async () => {
    const team = (await app.api('POST', '/api/inventory/tags', { token: tim.token, body: { name: 'team' } })).body
    const tagged = await create({ name: 'tagged' }, [team.id])
    const untagged = await create({ name: 'untagged' })
    const grant = await app.api('POST', `/api/inventory/tags/${team.id}/permissions`, { token: admin, body: { role_id: viewerRole, permission: 'delete' } })
    expect(grant.body).toEqual({ id: expect.any(Number), role_id: viewerRole, permission: 'delete' })
    expect((await app.api('GET', `/api/inventory/tags/${team.id}/permissions`, { token: admin })).body).toEqual({
      permissions: [{ id: grant.body.id, role_id: viewerRole, role_name: 'app_viewer', permission: 'delete' }],
    })
    expect((await app.api('DELETE', `/api/inventory/app/${untagged.id}`, { token: vera.token })).status).toBe(403)
    expect(await app.api('DELETE', `/api/inventory/app/${tagged.id}`, { token: vera.token })).toEqual({ status: 200, body: { status: 'deleted' } })
  })

  it('refuses every route to a caller without its permission (403), and every route to a caller without a token (401)', async () => {
    const object = await create({ name: 'guarded' })
    const tag = (await app.api('POST', '/api/inventory/tags', { token: tim.token, body: { name: 'guard' } })).body
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/inventory/app'],
      ['POST', '/api/inventory/app', { data: { name: 'nope' } }],
      ['GET', `/api/inventory/app/${object.id}`],
      ['PUT', `/api/inventory/app/${object.id}`, { data: { owner: 'x' } }],
      ['DELETE', `/api/inventory/app/${object.id}`],
      ['POST', `/api/inventory/app/${object.id}/tags`, { tag_ids: [tag.id] }],
      ['DELETE', `/api/inventory/app/${object.id}/tags/${tag.id}`],
      ['GET', `/api/inventory/app/${object.id}/acl`],
      ['POST', `/api/inventory/app/${object.id}/acl`, { role_id: viewerRole, permission: 'view' }],
      ['DELETE', `/api/inventory/app/${object.id}/acl/1`],
      ['POST', `/api/inventory/app/${object.id}/actions/hello`],
      ['POST', '/api/inventory/database/actions/restart_all'],
      ['POST', '/api/inventory/database/sync'],
      ['POST', '/api/inventory/tags', { name: 'x' }],
      ['PUT', `/api/inventory/tags/${tag.id}`, { name: 'y' }],
      ['DELETE', `/api/inventory/tags/${tag.id}`],
      ['GET', `/api/inventory/tags/${tag.id}/permissions`],
      ['POST', `/api/inventory/tags/${tag.id}/permissions`, { role_id: viewerRole, permission: 'view' }],
    ]
    for (const [method, path, body] of routes) {
      const refused = await app.api(method, path, { token: nora.token, body })
      expect([method, path, refused.status]).toEqual([method, path, 403])
      expect(refused.body.detail).toMatch(/^Permission denied/)
      expect((await app.api(method, path, { body })).status).toBe(401)
    }
    for (const path of ['/api/inventory/types', '/api/inventory/types/app', '/api/inventory/tags']) expect((await app.api('GET', path)).status).toBe(401)
    // Nothing changed.
    expect((await app.api('GET', `/api/inventory/app/${object.id}`, { token: admin })).body.data).toEqual({ name: 'guarded' })
  })

  it('answers bad input with 400, 404, 409 or 422 in FastAPI shape, never a 500', async () => {
    const object = await create({ name: 'target' })
    const cases: [string, string, { body?: unknown; rawBody?: string }, number][] = [
      ['GET', '/api/inventory/nope', {}, 404],
      ['POST', '/api/inventory/nope', { body: { data: {} } }, 404],
      ['GET', '/api/inventory/app/abc', {}, 422],
      ['GET', '/api/inventory/app/0', {}, 422],
      ['GET', '/api/inventory/app/99999', {}, 404],
      ['GET', '/api/inventory/app?page=0', {}, 422],
      ['GET', '/api/inventory/app?per_page=-5', {}, 422],
      ['POST', '/api/inventory/app', { body: { data: 'text' } }, 422],
      ['POST', '/api/inventory/app', { body: { data: { name: 'x' }, tag_ids: ['a'] } }, 422],
      ['POST', '/api/inventory/app', { rawBody: '{"data":' }, 400],
      ['POST', '/api/inventory/app', {}, 422],
      ['PUT', `/api/inventory/app/${object.id}`, { body: { data: [1, 2] } }, 422],
      ['POST', `/api/inventory/app/${object.id}/tags`, { body: {} }, 422],
      ['POST', `/api/inventory/app/${object.id}/acl`, { body: { role_id: viewerRole, permission: 'view', effect: 'maybe' } }, 422],
      ['POST', `/api/inventory/app/${object.id}/acl`, { body: { role_id: 9999, permission: 'view' } }, 404],
      ['POST', `/api/inventory/app/${object.id}/acl`, { body: { role_id: 'one', permission: 'view' } }, 422],
      ['POST', `/api/inventory/app/${object.id}/actions/nope`, {}, 404],
      ['POST', `/api/inventory/app/${object.id}/actions/hello`, { body: { inputs: { 'bad-name': 'x' } } }, 422],
      ['POST', '/api/inventory/app/actions/hello', {}, 404],
      ['POST', '/api/inventory/user/sync', {}, 200],
      ['POST', '/api/inventory/app/sync', {}, 400],
      ['PUT', '/api/inventory/tags/9999', { body: { name: 'z' } }, 404],
      ['PUT', '/api/inventory/tags/abc', { body: { name: 'z' } }, 422],
      ['GET', '/api/inventory/tags/9999/permissions', {}, 404],
      ['POST', '/api/inventory/tags', { body: { name: 'x'.repeat(101) } }, 422],
      ['POST', '/api/inventory/tags', { body: { name: 5 } }, 422],
    ]
    for (const [method, path, request, status] of cases) {
      const answer = await app.api(method, path, { token: admin, ...request })
      expect([method, path, answer.status]).toEqual([method, path, status])
      if (status !== 200) expect(answer.body).toHaveProperty('detail')
    }
    expect((await app.api('POST', '/api/inventory/app/sync', { token: admin })).body).toEqual({ detail: 'This type has no sync source' })
  })
})

describe('cloudlab inventory: kept in the engine storage', () => {
  it('keeps objects, tags and ACL rules across a restart on the fs data directory', async () => {
    const root = await mkdtemp(join(tmpdir(), 'provisio-cloudlab-restart-'))
    try {
      const first = await startInventory({ files: typeFiles, root })
      const role = await first.role('app_viewer', ['inventory.app.view'])
      const tag = (await first.api('POST', '/api/inventory/tags', { token: first.adminToken, body: { name: 'kept' } })).body
      const object = (await first.api('POST', '/api/inventory/app', { token: first.adminToken, body: { data: { name: 'durable' }, tag_ids: [tag.id] } })).body
      await first.api('POST', `/api/inventory/app/${object.id}/acl`, { token: first.adminToken, body: { role_id: role, permission: 'view', effect: 'deny' } })
      await first.close()

      const second = await startInventory({ root })
      try {
        const again = await second.api('GET', `/api/inventory/app/${object.id}`, { token: second.adminToken })
        expect(again.body).toMatchObject({ id: object.id, data: { name: 'durable' }, tags: [{ id: tag.id, name: 'kept' }] })
        expect(again.body.acl_rules).toEqual([expect.objectContaining({ role_id: role, role_name: 'app_viewer', effect: 'deny' })])
        // Ids go on from where they were.
        const next = await second.api('POST', '/api/inventory/app', { token: second.adminToken, body: { data: { name: 'next' } } })
        expect(next.body.id).toBeGreaterThan(object.id)
      } finally {
        await second.close()
      }
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
