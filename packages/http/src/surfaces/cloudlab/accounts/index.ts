import type { CloudlabContext, CloudlabPart, CloudlabUser } from '../context'
import { auditRoutes } from './audit-routes'
import { authRoutes } from './auth-routes'
import { createDirectory } from './directory'
import type { AccountsKit } from './kit'
import { createMailer } from './mailer'
import { createNumbering } from './numbering'
import { createOneTimeTokens } from './one-time-tokens'
import { createProfiles } from './profiles'
import { rolesRoutes } from './roles-routes'
import { usersRoutes } from './users-routes'

export type { CloudlabMailOptions } from './mailer'

/**
 * First run, auth, invites, password reset, users, roles, permissions and the audit log; `users`
 * lists the users for the other parts (`context.users`).
 */
export function accountsPart(context: CloudlabContext): CloudlabPart & { users: () => Promise<CloudlabUser[]> } {
  const { identity, engine } = context.deps
  const storage = engine.storage
  const now = () => Date.now()
  const profiles = createProfiles(storage)
  const directory = createDirectory({
    identity,
    storage,
    profiles,
    roleIds: context.roleIds,
    permissionIds: createNumbering(storage, 'cloudlab:permission-ids'),
    permissions: context.permissions,
  })
  const mailer = createMailer(context.mail, (error) => console.error('[provisio] [cloudlab] mail not sent:', error instanceof Error ? error.message : error))
  const sending = new Set<Promise<boolean>>()
  const kit: AccountsKit = {
    context,
    identity,
    directory,
    profiles,
    tokens: createOneTimeTokens(storage, now),
    mailer,
    sendLater: (message) => {
      const sent = mailer.send(message).finally(() => sending.delete(sent))
      sending.add(sent)
    },
    now,
  }
  const users = async (): Promise<CloudlabUser[]> =>
    Promise.all(
      (await directory.allUsers()).map(async (user) => {
        const [view, profile] = await Promise.all([directory.userView(user), profiles.get(user.id)])
        const status = user.enabled ? 'active' : profile.invited_at && !profile.invite_accepted_at ? 'invited' : 'inactive'
        return {
          id: user.id,
          username: user.username,
          email: user.email,
          display_name: view.display_name,
          ssh_public_key: profile.ssh_public_key,
          roles: view.roles.map((role) => role.name),
          is_active: user.enabled,
          status,
        }
      }),
    )
  return {
    users,
    routes: [...authRoutes(kit), ...usersRoutes(kit), ...rolesRoutes(kit), ...auditRoutes(kit)],
    dispose: async () => {
      await Promise.allSettled([...sending])
      mailer.close()
    },
  }
}
