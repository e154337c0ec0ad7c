import { randomBytes } from 'node:crypto'
import { ApiError } from '../../../platform/errors'
import { defineRoute, type RouteDefinition } from '../../../platform/types'
import type { AccountsKit } from './kit'
import { roleCreateBody, roleParams, roleUpdateBody } from './schemas'

const tags = ['roles']

/** The identity's role names are lower-case slugs; CloudLab's are free text, kept as the role's label. */
async function slugFor(kit: AccountsKit, label: string): Promise<string> {
  const slug = label
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 40)
  if (slug.length >= 2 && !(await kit.identity.roles.get(slug))) return slug
  return `role-${randomBytes(4).toString('hex')}`
}

export function rolesRoutes(kit: AccountsKit): RouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/roles',
      summary: 'Roles with their permissions and how many users hold them',
      tags,
      permission: 'roles.view',
      handler: async () => ({ roles: await kit.directory.roleViews() }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/roles/permissions',
      summary: 'Every permission, static and per inventory type, by category',
      tags,
      permission: 'roles.view',
      handler: async () => {
        const grouped: Record<string, { id: number; codename: string; label: string; description: string }[]> = {}
        for (const { id, codename, category, label, description } of await kit.directory.permissionCatalog()) {
          ;(grouped[category] ??= []).push({ id, codename, label, description })
        }
        return { permissions: grouped }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/roles/:id',
      summary: 'One role',
      tags,
      permission: 'roles.view',
      params: roleParams,
      handler: async (ctx) => kit.directory.roleView(await kit.directory.role(ctx.params.id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/roles',
      summary: 'Create a custom role',
      tags,
      permission: 'roles.create',
      resource: 'roles',
      audit: 'role.create',
      body: roleCreateBody,
      handler: async (ctx) => {
        if (await kit.directory.labelTaken(ctx.body.name)) throw new ApiError(400, 'Role name already exists')
        const permissions = await kit.directory.codenames(ctx.body.permission_ids)
        const name = await slugFor(kit, ctx.body.name)
        const role = await kit.identity.roles.create({ name, description: ctx.body.description ?? '', permissions })
        await kit.directory.saveRoleMeta(role.name, { label: ctx.body.name, created_at: new Date(kit.now()).toISOString() })
        ctx.audit.details = { name: ctx.body.name, permissions }
        return kit.directory.roleView(role)
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/roles/:id',
      summary: "Change a custom role's name, description or permissions",
      tags,
      permission: 'roles.edit',
      resource: 'roles/:id',
      audit: 'role.edit',
      params: roleParams,
      body: roleUpdateBody,
      handler: async (ctx) => {
        const current = await kit.directory.role(ctx.params.id)
        if (current.builtIn) throw new ApiError(400, 'Cannot modify system roles')
        if (ctx.body.name !== undefined && (await kit.directory.labelTaken(ctx.body.name, current.name))) throw new ApiError(400, 'Role name already exists')
        const permissions = ctx.body.permission_ids === undefined ? undefined : await kit.directory.codenames(ctx.body.permission_ids)
        const role = await kit.identity.roles.update(current.name, { description: ctx.body.description, permissions })
        if (ctx.body.name !== undefined) await kit.directory.saveRoleMeta(role.name, { label: ctx.body.name })
        ctx.audit.details = { permissions }
        return kit.directory.roleView(role)
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/roles/:id',
      summary: 'Delete a custom role that nobody holds',
      tags,
      permission: 'roles.delete',
      resource: 'roles/:id',
      audit: 'role.delete',
      params: roleParams,
      handler: async (ctx) => {
        const role = await kit.directory.role(ctx.params.id)
        if (role.builtIn) throw new ApiError(400, 'Cannot delete system roles')
        if ((await kit.identity.users.list({ role: role.name, limit: 1 })).total > 0) throw new ApiError(400, 'Cannot delete role with assigned users')
        await kit.identity.roles.delete(role.name)
        await kit.directory.removeRoleMeta(role.name)
        return { status: 'deleted' }
      },
    }),
  ]
}
