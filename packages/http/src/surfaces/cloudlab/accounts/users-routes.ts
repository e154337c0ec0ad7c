import { randomBytes } from 'node:crypto'
import type { H3Event } from 'h3'
import type { Principal, User } from '../../../identity'
import { ApiError } from '../../../platform/errors'
import { defineRoute, type RouteDefinition } from '../../../platform/types'
import { changePassword, updateProfile } from './auth-routes'
import type { UserView } from './directory'
import { linkBase, type AccountsKit } from './kit'
import { assignRolesBody, changePasswordBody, inviteBody, profileBody, userParams, userUpdateBody, usersQuery } from './schemas'

const tags = ['users']

/** Nobody hands out more than they hold: a `users.create` holder cannot invite a super-admin. */
function refuseRolesBeyondOwn(kit: AccountsKit, principal: Principal, roles: string[]) {
  if (!kit.identity.covers(principal, roles)) throw new ApiError(403, 'Permission denied: a role grants more than you hold')
}

async function sendInvite(kit: AccountsKit, event: H3Event, user: User, token: string): Promise<boolean> {
  if (!user.email) return false
  const link = `${linkBase(kit, event)}/accept-invite/${token}`
  return kit.mailer.send({
    to: user.email,
    subject: 'You are invited to CloudLab Manager',
    text: `You have been invited to CloudLab Manager as ${user.username}.\n\nSet your password here (valid for 72 hours):\n${link}\n`,
  })
}

/** The users search: a substring of the username, e-mail address or display name, any case. */
function matches(search: string, user: UserView): boolean {
  const needle = search.toLowerCase()
  return [user.username, user.email ?? '', user.display_name].some((value) => value.toLowerCase().includes(needle))
}

export function usersRoutes(kit: AccountsKit): RouteDefinition[] {
  const invite = (path: string, summary: string) =>
    defineRoute({
      method: 'POST',
      path,
      summary,
      tags,
      permission: 'users.create',
      resource: 'users',
      audit: 'user.invite',
      body: inviteBody,
      handler: async (ctx) => {
        const body = ctx.body
        if (await kit.identity.users.getByUsername(body.username)) throw new ApiError(400, 'Username already exists')
        if (await kit.directory.emailTaken(body.email)) throw new ApiError(400, 'Email already in use')
        const roles = await kit.directory.roleNames(body.role_ids)
        refuseRolesBeyondOwn(kit, ctx.principal!, roles)
        // Nobody knows this password: the invited user sets their own when accepting.
        const user = await kit.identity.users.create({
          username: body.username,
          email: body.email,
          password: randomBytes(32).toString('base64url'),
          roles,
          enabled: false,
        })
        await kit.profiles.update(user.id, { display_name: body.display_name || null, invited_at: new Date(kit.now()).toISOString() })
        const token = await kit.tokens.issue('invite', user.id)
        ctx.audit.resource = `users/${user.id}`
        ctx.audit.details = { username: user.username, roles }
        return { user: await kit.directory.userView(user), invite_sent: await sendInvite(kit, ctx.event, user, token), token }
      },
    })

  return [
    defineRoute({
      method: 'GET',
      path: '/api/users',
      summary: 'Users; `search` matches username, e-mail and display name; `page`/`per_page` page the list',
      tags,
      permission: 'users.view',
      query: usersQuery,
      handler: async (ctx) => {
        const views = await Promise.all((await kit.directory.allUsers()).map((user) => kit.directory.userView(user)))
        const search = ctx.query.search?.trim()
        const users = search ? views.filter((view) => matches(search, view)) : views
        if (ctx.query.page === undefined && ctx.query.per_page === undefined) return { users }
        const page = ctx.query.page ?? 1
        const perPage = ctx.query.per_page ?? 50
        return { users: users.slice((page - 1) * perPage, page * perPage), total: users.length, page, per_page: perPage }
      },
    }),
    invite('/api/users/invite', 'Invite a user by e-mail (real backend); the answer carries the invite token'),
    invite('/api/users', 'Invite a user by e-mail (seed 001)'),
    defineRoute({
      method: 'PUT',
      path: '/api/users/profile',
      summary: 'Change your own profile (seed 001; same as PUT /api/auth/me)',
      tags,
      audit: 'user.profile.edit',
      body: profileBody,
      handler: (ctx) => updateProfile(kit, ctx.principal!.userId, ctx.body),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/users/password',
      summary: 'Change your own password (seed 001; same as POST /api/auth/change-password)',
      tags,
      audit: 'user.password.change',
      body: changePasswordBody,
      handler: (ctx) => changePassword(kit, ctx, ctx.body),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/users/:id',
      summary: 'One user, with their permissions',
      tags,
      permission: 'users.view',
      params: userParams,
      handler: async (ctx) => {
        const user = await kit.directory.user(ctx.params.id)
        return { ...(await kit.directory.userView(user)), permissions: await kit.directory.permissionsOf(user.roles) }
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/users/:id',
      summary: "Change a user's display name, e-mail address or active state",
      tags,
      permission: 'users.edit',
      resource: 'users/:id',
      audit: 'user.update',
      params: userParams,
      body: userUpdateBody,
      handler: async (ctx) => {
        const user = await kit.directory.user(ctx.params.id)
        if (ctx.body.is_active === false && user.id === ctx.principal!.userId) throw new ApiError(400, 'Cannot deactivate your own account')
        if (ctx.body.is_active !== undefined) await kit.identity.users.update(user.id, { enabled: ctx.body.is_active })
        return updateProfile(kit, user.id, { display_name: ctx.body.display_name, email: ctx.body.email })
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/users/:id',
      summary: 'Deactivate a user (soft delete: the account stays, its tokens stop working)',
      tags,
      permission: 'users.delete',
      resource: 'users/:id',
      audit: 'user.deactivate',
      params: userParams,
      handler: async (ctx) => {
        const user = await kit.directory.user(ctx.params.id)
        if (user.id === ctx.principal!.userId) throw new ApiError(400, 'Cannot deactivate your own account')
        await kit.identity.users.update(user.id, { enabled: false })
        return { status: 'deactivated' }
      },
    }),
    ...(['PUT', 'POST'] as const).map((method) =>
      defineRoute({
        method,
        path: '/api/users/:id/roles',
        summary: `Replace a user's roles (${method === 'PUT' ? 'real backend' : 'seed 001'})`,
        tags,
        permission: 'users.assign_roles',
        resource: 'users/:id',
        audit: 'user.roles.assign',
        params: userParams,
        body: assignRolesBody,
        handler: async (ctx) => {
          const user = await kit.directory.user(ctx.params.id)
          const roles = await kit.directory.roleNames(ctx.body.role_ids)
          refuseRolesBeyondOwn(kit, ctx.principal!, roles)
          ctx.audit.details = { roles }
          return kit.directory.userView(await kit.identity.users.update(user.id, { roles }))
        },
      }),
    ),
    defineRoute({
      method: 'POST',
      path: '/api/users/:id/resend-invite',
      summary: 'Mail a new invite link; the older one stops working',
      tags,
      permission: 'users.create',
      resource: 'users/:id',
      audit: 'user.invite.resend',
      params: userParams,
      handler: async (ctx) => {
        const user = await kit.directory.user(ctx.params.id)
        const profile = await kit.profiles.get(user.id)
        if (profile.invite_accepted_at || !profile.invited_at) throw new ApiError(400, 'User has already accepted their invite')
        if (!user.email) throw new ApiError(400, 'User has no email address')
        const token = await kit.tokens.issue('invite', user.id)
        return { status: 'invite_resent', invite_sent: await sendInvite(kit, ctx.event, user, token), token }
      },
    }),
  ]
}
