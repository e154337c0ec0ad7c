import type { CloudlabContext, CloudlabPart } from '../context'
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

/** First run, auth, invites, password reset, users, roles, permissions and the audit log. */
export function accountsPart(context: CloudlabContext): CloudlabPart {
  const { identity, engine } = context.deps
  const storage = engine.storage
  const now = () => Date.now()
  const profiles = createProfiles(storage)
  const directory = createDirectory({
    identity,
    storage,
    profiles,
    roleIds: createNumbering(storage, 'cloudlab:role-ids'),
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
  return {
    routes: [...authRoutes(kit), ...usersRoutes(kit), ...rolesRoutes(kit), ...auditRoutes(kit)],
    dispose: async () => {
      await Promise.allSettled([...sending])
      mailer.close()
    },
  }
}
