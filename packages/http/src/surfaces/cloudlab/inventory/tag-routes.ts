import { ApiError } from '../../../platform/errors'
import { defineRoute, type RouteDefinition } from '../../../platform/types'
import type { InventoryDeps } from './deps'
import { tagView } from './objects'
import { createTagBody, tagParams, tagPermissionBody, updateTagBody } from './schemas'

const tags = ['inventory']

/** Tags with their object counts, and the role permissions a tag grants on the objects that carry it. */
export function tagRoutes(deps: InventoryDeps): RouteDefinition[] {
  const { store, context } = deps

  async function tagOrThrow(id: number) {
    const tag = await store.getTag(id)
    if (!tag) throw new ApiError(404, 'Tag not found')
    return tag
  }

  return [
    defineRoute({
      method: 'GET',
      path: '/api/inventory/tags',
      summary: 'List tags with the number of objects carrying each',
      tags,
      async handler() {
        const all = await store.listTags()
        const types = await deps.types.list()
        const counts = new Map<number, number>()
        for (const type of types) {
          for (const object of await store.listObjects(type.slug)) for (const id of object.tag_ids) counts.set(id, (counts.get(id) ?? 0) + 1)
        }
        return { tags: all.map((tag) => ({ ...tagView(tag), object_count: counts.get(tag.id) ?? 0 })) }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/inventory/tags',
      summary: 'Create a tag; 409 when the name is taken',
      tags,
      permission: 'inventory.tags.manage',
      audit: 'inventory.tag.create',
      body: createTagBody,
      async handler({ body, audit }) {
        const tag = await store.createTag({ name: body.name, color: body.color ?? null })
        if (!tag) throw new ApiError(409, 'Tag already exists')
        audit.resource = `tags/${tag.id}`
        audit.details = { name: tag.name }
        return tagView(tag)
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/inventory/tags/:tagId',
      summary: 'Rename or recolour a tag',
      tags,
      permission: 'inventory.tags.manage',
      audit: 'inventory.tag.update',
      params: tagParams,
      body: updateTagBody,
      async handler({ params, body }) {
        const tag = await tagOrThrow(params.tagId)
        if (body.name && body.name !== tag.name && (await store.listTags()).some((other) => other.name === body.name))
          throw new ApiError(409, 'Tag already exists')
        return tagView(
          await store.updateTag({ ...tag, name: body.name ?? tag.name, color: body.color === undefined || body.color === null ? tag.color : body.color }),
        )
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/inventory/tags/:tagId',
      summary: 'Delete a tag: it leaves every object, and its permissions go with it',
      tags,
      permission: 'inventory.tags.manage',
      audit: 'inventory.tag.delete',
      params: tagParams,
      async handler({ params }) {
        const tag = await tagOrThrow(params.tagId)
        await store.deleteTag(
          tag,
          (await deps.types.list()).map((type) => type.slug),
        )
        return { status: 'deleted' }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/inventory/tags/:tagId/permissions',
      summary: 'The permissions a tag grants to roles on the objects that carry it',
      tags,
      permission: 'inventory.acl.manage',
      params: tagParams,
      async handler({ params }) {
        await tagOrThrow(params.tagId)
        const granted = await store.tagPermissions(params.tagId)
        return {
          permissions: await Promise.all(
            granted.map(async (grant) => ({
              id: grant.id,
              role_id: grant.role_id,
              role_name: (await context.roleIds.nameOf(grant.role_id)) ?? null,
              permission: grant.permission,
            })),
          ),
        }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/inventory/tags/:tagId/permissions',
      summary: 'Grant a role a permission (view, edit, an action) on every object with the tag',
      tags,
      permission: 'inventory.acl.manage',
      audit: 'inventory.tag.permission',
      params: tagParams,
      body: tagPermissionBody,
      async handler({ params, body }) {
        await tagOrThrow(params.tagId)
        if (!(await context.roleIds.nameOf(body.role_id))) throw new ApiError(404, 'Role not found')
        const grant = await store.addTagPermission({ tag_id: params.tagId, role_id: body.role_id, permission: body.permission })
        return { id: grant.id, role_id: grant.role_id, permission: grant.permission }
      },
    }),
  ]
}
