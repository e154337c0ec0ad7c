import type { H3Event } from 'h3'
import type { Identity, User } from '../../../identity'
import type { CloudlabContext } from '../context'
import type { Directory } from './directory'
import type { Mailer } from './mailer'
import type { OneTimeTokens } from './one-time-tokens'
import type { Profiles } from './profiles'

/** What the accounts routes share. */
export interface AccountsKit {
  context: CloudlabContext
  identity: Identity
  directory: Directory
  profiles: Profiles
  tokens: OneTimeTokens
  mailer: Mailer
  /** Sends without making the caller wait (forgot-password must not tell by its timing who exists). */
  sendLater: (message: Parameters<Mailer['send']>[0]) => void
  now: () => number
}

/** Where links in mails point: the configured public URL, else the origin the request came to. */
export function linkBase(kit: AccountsKit, event: H3Event): string {
  return (kit.context.publicUrl ?? event.url.origin).replace(/\/+$/, '')
}

/** The real backend's token response: the seeds show its first two keys (§2 Auth). */
export async function tokenResponse(kit: AccountsKit, user: User, accessToken: string) {
  const profile = await kit.profiles.get(user.id)
  return {
    access_token: accessToken,
    token_type: 'bearer',
    user: {
      id: user.id,
      username: user.username,
      email: user.email,
      display_name: profile.display_name ?? user.username,
      ssh_public_key: profile.ssh_public_key,
    },
    permissions: await kit.directory.permissionsOf(user.roles),
  }
}

/** True once any active user exists (CloudLab's `setup_complete`). */
export async function setupComplete(kit: AccountsKit): Promise<boolean> {
  return (await kit.identity.users.list({ enabled: true, limit: 1 })).total > 0
}
