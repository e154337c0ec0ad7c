import type { Principal } from '../../../identity'
import { ApiError } from '../../../platform/errors'
import { defineRoute, type RouteDefinition } from '../../../platform/types'
import { permissionDenied } from './access'
import { typeOrThrow, type InventoryDeps } from './deps'
import { checkNewObject, findObjects, mergeData, objectView } from './objects'
import { aclRuleParams, aclRuleBody, createObjectBody, listQuery, objectParams, objectTagParams, objectTagsBody, typeParams, updateObjectBody } from './schemas'
import type { InventoryObject } from './store'
import type { InventoryTypeConfig } from './type-config'

const tags = ['inventory']

/** Objects of a type (CRUD, search, tag filter, pages), their tags and their ACL rules. */
export function objectRoutes(deps: InventoryDeps): RouteDefinition[] {
  const { store, access, context } = deps
  const { identity } = context.deps

  async function typeId(slug: string) {
    return (await deps.types.list()).findIndex((type) => type.slug === slug) + 1
  }

  async function view(object: InventoryObject) {
    const all = new Map((await store.listTags()).map((tag) => [tag.id, tag]))
    return objectView(object, await typeOrThrow(deps.types, object.type), await typeId(object.type), all)
  }

  /** The object of the path, 404 before 403 as in CloudLab; `permission` checked in the reference's order. */
  async function objectFor(
    params: { slug: string; id: number },
    principal: Principal,
    permission: string,
  ): Promise<{ type: InventoryTypeConfig; object: InventoryObject }> {
    const type = await typeOrThrow(deps.types, params.slug)
    const object = await store.getObject(params.id)
    if (!object || object.type !== type.slug) throw new ApiError(404, 'Object not found')
    if (!(await access.object(principal, object, permission))) throw permissionDenied()
    return { type, object }
  }

  async function aclView(objectId: number) {
    return Promise.all(
      (await store.aclRules(objectId)).map(async (rule) => ({
        id: rule.id,
        role_id: rule.role_id,
        role_name: (await context.roleIds.nameOf(rule.role_id)) ?? null,
        permission: rule.permission,
        effect: rule.effect,
      })),
    )
  }

  async function aclObject(params: { slug: string; id: number }) {
    const type = await typeOrThrow(deps.types, params.slug)
    const object = await store.getObject(params.id)
    if (!object || object.type !== type.slug) throw new ApiError(404, 'Object not found')
    return object
  }

  return [
    defineRoute({
      method: 'GET',
      path: '/api/inventory/:slug',
      summary: "List a type's objects: newest first, `search` over searchable fields, `tag` by name, paged; `total` counts before the per-object ACL filter",
      tags,
      params: typeParams,
      query: listQuery,
      async handler({ params, query, principal }) {
        const type = await typeOrThrow(deps.types, params.slug)
        if (!access.type(principal!, type.slug, 'view')) throw permissionDenied()
        const found = await findObjects(store, type, query)
        if (!found) return { objects: [], total: 0, page: query.page, per_page: query.per_page }
        const visible: InventoryObject[] = []
        for (const object of found.items) if (await access.object(principal!, object, 'view')) visible.push(object)
        const all = new Map((await store.listTags()).map((tag) => [tag.id, tag]))
        const id = await typeId(type.slug)
        return { objects: visible.map((object) => objectView(object, type, id, all)), total: found.total, page: query.page, per_page: query.per_page }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/inventory/:slug',
      summary: 'Create an object; required fields must be there and unique fields unused (409)',
      tags,
      audit: 'inventory.create',
      params: typeParams,
      body: createObjectBody,
      async handler({ params, body, principal, audit }) {
        const type = await typeOrThrow(deps.types, params.slug)
        if (!access.type(principal!, type.slug, 'create')) throw permissionDenied()
        const object = await store.exclusive(type.slug, async () => {
          checkNewObject(type, body.data, await store.listObjects(type.slug))
          return store.createObject({ type: type.slug, data: body.data, tagIds: body.tag_ids, createdBy: principal!.userId })
        })
        audit.resource = `inventory/${type.slug}/${object.id}`
        audit.details = { type: type.slug }
        return view(object)
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/inventory/:slug/:id',
      summary: 'One object, with its ACL rules for callers who manage ACLs',
      tags,
      params: objectParams,
      async handler({ params, principal }) {
        const { object } = await objectFor(params, principal!, 'view')
        const answer = await view(object)
        return identity.can(principal!, 'inventory.acl.manage') ? { ...answer, acl_rules: await aclView(object.id) } : answer
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/inventory/:slug/:id',
      summary: 'Merge `data` into the object (readonly fields kept) and replace its tags when `tag_ids` is given',
      tags,
      audit: 'inventory.update',
      params: objectParams,
      body: updateObjectBody,
      async handler({ params, body, principal, audit }) {
        const { type, object } = await objectFor(params, principal!, 'edit')
        audit.resource = `inventory/${type.slug}/${object.id}`
        const updated = await store.exclusive(type.slug, async () => {
          const current = (await store.getObject(object.id)) ?? object
          return store.updateObject(current, {
            data: body.data ? mergeData(type, current.data, body.data) : undefined,
            tagIds: body.tag_ids ?? undefined,
          })
        })
        return view(updated)
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/inventory/:slug/:id',
      summary: 'Delete an object and its ACL rules',
      tags,
      audit: 'inventory.delete',
      params: objectParams,
      async handler({ params, principal, audit }) {
        const { type, object } = await objectFor(params, principal!, 'delete')
        audit.resource = `inventory/${type.slug}/${object.id}`
        await store.exclusive(type.slug, () => store.deleteObject(object))
        return { status: 'deleted' }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/inventory/:slug/:id/tags',
      summary: 'Add tags to an object (the ones it has stay)',
      tags,
      audit: 'inventory.update',
      params: objectParams,
      body: objectTagsBody,
      async handler({ params, body, principal }) {
        const { type, object } = await objectFor(params, principal!, 'edit')
        const updated = await store.exclusive(type.slug, async () => {
          const current = (await store.getObject(object.id)) ?? object
          return store.updateObject(current, { tagIds: [...current.tag_ids, ...body.tag_ids.filter((id) => !current.tag_ids.includes(id))] })
        })
        return { tags: (await view(updated)).tags }
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/inventory/:slug/:id/tags/:tagId',
      summary: 'Remove one tag from an object',
      tags,
      audit: 'inventory.update',
      params: objectTagParams,
      async handler({ params, principal }) {
        const { type, object } = await objectFor(params, principal!, 'edit')
        const updated = await store.exclusive(type.slug, async () => {
          const current = (await store.getObject(object.id)) ?? object
          return store.updateObject(current, { tagIds: current.tag_ids.filter((id) => id !== params.tagId) })
        })
        return { tags: (await view(updated)).tags }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/inventory/:slug/:id/acl',
      summary: "An object's ACL rules",
      tags,
      permission: 'inventory.acl.manage',
      params: objectParams,
      async handler({ params }) {
        const object = await aclObject(params)
        return { acl_rules: await aclView(object.id) }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/inventory/:slug/:id/acl',
      summary: 'Add one ACL rule: allow or deny a role one permission on the object (deny wins over every allow)',
      tags,
      permission: 'inventory.acl.manage',
      audit: 'inventory.acl.add',
      params: objectParams,
      body: aclRuleBody,
      async handler({ params, body, audit }) {
        const object = await aclObject(params)
        if (!(await context.roleIds.nameOf(body.role_id))) throw new ApiError(404, 'Role not found')
        const rule = await store.addAclRule({ object_id: object.id, role_id: body.role_id, permission: body.permission, effect: body.effect })
        audit.resource = `inventory/${object.type}/${object.id}`
        audit.details = { role_id: rule.role_id, permission: rule.permission, effect: rule.effect }
        return { id: rule.id, role_id: rule.role_id, permission: rule.permission, effect: rule.effect }
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/inventory/:slug/:id/acl/:aclId',
      summary: 'Remove one ACL rule',
      tags,
      permission: 'inventory.acl.manage',
      audit: 'inventory.acl.delete',
      params: aclRuleParams,
      async handler({ params }) {
        const object = await aclObject(params)
        if (!(await store.removeAclRule(object.id, params.aclId))) throw new ApiError(404, 'ACL rule not found')
        return { status: 'deleted' }
      },
    }),
  ]
}
