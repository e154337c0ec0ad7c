import { defineRoute, type RouteContext, type RouteDefinition } from '../../../platform/types'
import { ApiError } from '../../../platform/errors'
import { linkBase, setupComplete, tokenResponse, type AccountsKit } from './kit'
import { generateSshKeyPair } from './ssh-keys'
import {
  acceptInviteBody,
  acceptInviteByPathBody,
  changePasswordBody,
  forgotPasswordBody,
  loginBody,
  profileBody,
  resetByPathBody,
  resetPasswordBody,
  setupBody,
  tokenParams,
} from './schemas'

const tags = ['auth']

/** CloudLab's JWTs last 24 h (reference §8), the platform's 1 h: the UI keeps its token and has no refresh. */
const cloudlabTokenLifetimeSeconds = 24 * 60 * 60

/** Signs in after a password was set here (setup, invite, reset), so the answer carries a token. */
async function signIn(kit: AccountsKit, ctx: RouteContext, username: string, password: string) {
  const pair = await kit.identity.login({ username, password, ip: ctx.ip, accessTokenTtlSeconds: cloudlabTokenLifetimeSeconds })
  ctx.audit.resource ??= `users/${pair.user.id}`
  ctx.audit.userId = pair.user.id
  ctx.audit.username = pair.user.username
  return tokenResponse(kit, pair.user, pair.accessToken)
}

async function acceptInvite(kit: AccountsKit, ctx: RouteContext, input: { token: string; password: string; display_name?: string }) {
  const userId = await kit.tokens.consume('invite', input.token)
  const user = userId === undefined ? undefined : await kit.identity.users.get(userId)
  if (!user) throw new ApiError(400, 'Invalid or expired invite token')
  await kit.identity.users.update(user.id, { password: input.password, enabled: true })
  await kit.profiles.update(user.id, {
    invite_accepted_at: new Date(kit.now()).toISOString(),
    ...(input.display_name ? { display_name: input.display_name } : {}),
  })
  ctx.audit.resource = `users/${user.id}`
  return signIn(kit, ctx, user.username, input.password)
}

async function resetPassword(kit: AccountsKit, ctx: RouteContext, token: string, password: string) {
  const userId = await kit.tokens.consume('reset', token)
  const user = userId === undefined ? undefined : await kit.identity.users.get(userId)
  if (!user?.enabled) throw new ApiError(400, 'Invalid or expired reset token')
  await kit.identity.users.update(user.id, { password })
  ctx.audit.userId = user.id
  ctx.audit.username = user.username
  return { status: 'ok' }
}

export async function updateProfile(kit: AccountsKit, userId: string, body: { display_name?: string; email?: string | null }) {
  if (body.email && (await kit.directory.emailTaken(body.email, userId))) throw new ApiError(400, 'Email already in use')
  if (body.email !== undefined) await kit.identity.users.update(userId, { email: body.email })
  if (body.display_name !== undefined) await kit.profiles.update(userId, { display_name: body.display_name || null })
  return kit.directory.userView(await kit.directory.user(userId))
}

/**
 * The session that changes the password goes on (the UI keeps its token); the user's other
 * sessions end, where the real backend's JWTs all live on: someone who changes a password because
 * it leaked wants the other holder out.
 */
export async function changePassword(kit: AccountsKit, ctx: RouteContext, body: { current_password: string; new_password: string }) {
  const principal = ctx.principal!
  if (!(await kit.identity.checkPassword(principal.userId, body.current_password))) throw new ApiError(400, 'Current password is incorrect')
  await kit.identity.users.update(principal.userId, { password: body.new_password }, { keep: principal })
  return { status: 'ok' }
}

export function authRoutes(kit: AccountsKit): RouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/auth/status',
      summary: 'Whether first-run setup is done (seed 000)',
      tags,
      auth: false,
      handler: async () => ({ setup_complete: await setupComplete(kit) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/auth/setup-required',
      summary: 'Whether first-run setup is still needed (seed 001)',
      tags,
      auth: false,
      handler: async () => ({ setup_required: !(await setupComplete(kit)) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/auth/setup',
      summary: 'Create the first administrator (super-admin) and set the vault password, once',
      tags,
      auth: false,
      rateLimit: 'auth',
      audit: 'setup',
      body: setupBody,
      handler: async (ctx) => {
        if (await setupComplete(kit)) throw new ApiError(400, 'Setup already completed')
        const user = await kit.identity.bootstrapAdmin({ username: ctx.body.username, password: ctx.body.password })
        if (!user) throw new ApiError(400, 'Setup already completed')
        await kit.profiles.update(user.id, { display_name: user.username })
        if (ctx.body.vault_password) await kit.context.vault.store(ctx.body.vault_password)
        return signIn(kit, ctx, ctx.body.username, ctx.body.password)
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/auth/login',
      summary: 'Log in; the answer carries the JWT, the user and their permissions',
      tags,
      auth: false,
      rateLimit: 'auth',
      audit: 'login',
      body: loginBody,
      handler: async (ctx) => {
        if (!(await setupComplete(kit))) throw new ApiError(400, 'Setup not completed')
        ctx.audit.username = ctx.body.username
        return signIn(kit, ctx, ctx.body.username, ctx.body.password)
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/auth/logout',
      summary: 'End this token (the UI also just forgets it)',
      tags,
      audit: 'logout',
      handler: async (ctx) => {
        await kit.identity.logout(ctx.token!)
        return { status: 'ok' }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/auth/me',
      summary: 'The current user, their roles and permissions',
      tags,
      handler: async (ctx) => {
        const user = await kit.directory.user(ctx.principal!.userId)
        const view = await kit.directory.userView(user)
        const profile = await kit.profiles.get(user.id)
        return {
          id: user.id,
          username: user.username,
          email: user.email,
          display_name: view.display_name,
          ssh_public_key: profile.ssh_public_key,
          permissions: await kit.directory.permissionsOf(user.roles),
          roles: view.roles,
        }
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/auth/me',
      summary: 'Change your display name or e-mail address',
      tags,
      audit: 'user.profile.edit',
      body: profileBody,
      handler: (ctx) => updateProfile(kit, ctx.principal!.userId, ctx.body),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/auth/change-password',
      summary: 'Change your password (the current one is asked)',
      tags,
      audit: 'user.password.change',
      body: changePasswordBody,
      handler: (ctx) => changePassword(kit, ctx, ctx.body),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/auth/me/ssh-key',
      summary: 'Generate a new ed25519 key pair; the private key is shown once',
      tags,
      audit: 'user.ssh_key.generate',
      handler: async (ctx) => {
        const user = await kit.directory.user(ctx.principal!.userId)
        const view = await kit.directory.userView(user)
        const pair = generateSshKeyPair(`${view.display_name.replace(/\s+/g, '_')}@cloudlab`)
        await kit.profiles.update(user.id, { ssh_public_key: pair.publicKey })
        return { public_key: pair.publicKey, private_key: pair.privateKey }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/auth/me/ssh-key',
      summary: 'Your SSH public key',
      tags,
      handler: async (ctx) => ({ ssh_public_key: (await kit.profiles.get(ctx.principal!.userId)).ssh_public_key }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/auth/me/ssh-key',
      summary: 'Forget your SSH public key',
      tags,
      audit: 'user.ssh_key.delete',
      handler: async (ctx) => {
        await kit.profiles.update(ctx.principal!.userId, { ssh_public_key: null })
        return { status: 'ok' }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/auth/ssh-keys',
      summary: "Every user's SSH public key (for the deploy dialog's key picker)",
      tags,
      handler: async (ctx) => ({
        keys: (await kit.context.users())
          .filter((user) => user.ssh_public_key)
          .map((user) => ({
            user_id: user.id,
            username: user.username,
            display_name: user.display_name,
            ssh_public_key: user.ssh_public_key,
            is_self: user.id === ctx.principal!.userId,
          })),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/auth/accept-invite',
      summary: 'Accept an invite: set a password, get a token (real backend)',
      tags,
      auth: false,
      rateLimit: 'auth',
      audit: 'user.invite.accept',
      body: acceptInviteBody,
      handler: (ctx) => acceptInvite(kit, ctx, ctx.body),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/auth/invite/:token',
      summary: 'Accept an invite (seed 001)',
      tags,
      auth: false,
      rateLimit: 'auth',
      audit: 'user.invite.accept',
      params: tokenParams,
      body: acceptInviteByPathBody,
      handler: (ctx) => acceptInvite(kit, ctx, { ...ctx.body, token: ctx.params.token }),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/auth/forgot-password',
      summary: 'Mail a password reset link; the answer is the same whether the address exists or not',
      tags,
      auth: false,
      rateLimit: 'auth',
      audit: 'user.password.forgot',
      body: forgotPasswordBody,
      handler: async (ctx) => {
        const wanted = ctx.body.email.trim().toLowerCase()
        const user = (await kit.directory.allUsers()).find((candidate) => candidate.enabled && candidate.email === wanted)
        if (user?.email) {
          const token = await kit.tokens.issue('reset', user.id)
          const link = `${linkBase(kit, ctx.event)}/reset-password/${token}`
          kit.sendLater({
            to: user.email,
            subject: 'CloudLab Manager password reset',
            text: `Someone asked to reset the password of ${user.username}.\n\nSet a new one here (valid for 1 hour):\n${link}\n\nIf it was not you, ignore this message.\n`,
          })
        }
        return { status: 'ok', message: 'If an account exists with that email, a reset link has been sent.' }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/auth/reset-password',
      summary: 'Set a new password with a reset token (real backend; `new_password` as the UI sends it)',
      tags,
      auth: false,
      rateLimit: 'auth',
      audit: 'user.password.reset',
      body: resetPasswordBody,
      handler: (ctx) => resetPassword(kit, ctx, ctx.body.token, ctx.body.password),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/auth/password-reset/:token',
      summary: 'Set a new password with a reset token (seed 001)',
      tags,
      auth: false,
      rateLimit: 'auth',
      audit: 'user.password.reset',
      params: tokenParams,
      body: resetByPathBody,
      handler: (ctx) => resetPassword(kit, ctx, ctx.params.token, ctx.body.password),
    }),
  ]
}
