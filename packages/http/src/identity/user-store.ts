import type { Storage } from 'unstorage'
import { IdentityError } from './errors'
import { createTimeOrderedId } from './ids'
import { identityKeys, lastSegment } from './keys'
import { pageOf } from './paging'
import { checkPasswordPolicy, hashPassword } from './passwords'
import type { RoleStore } from './role-store'
import { createKeyedQueue } from './serialize'
import type { User, UserInput, UserPatch, UserQuery } from './types'

/** A user as stored: the public fields plus what never leaves this module unprotected. */
export interface StoredUser extends Omit<User, 'mfaEnabled'> {
  password_hash: string
  /** Moves on when the password changes; tokens carry it and stop working when it differs. */
  session_epoch: number
  /** Sealed TOTP secret, present once enrolment is confirmed. */
  mfa_secret?: string
  /** Sealed TOTP secret awaiting its first code. */
  mfa_pending?: string
  /** The last TOTP time step accepted, so a code works once. */
  mfa_last_step?: number
}

export interface UserStore {
  create(input: UserInput): Promise<StoredUser>
  /** Like `create`, but only while there are no users at all. */
  createFirst(input: UserInput): Promise<StoredUser | undefined>
  get(id: string): Promise<StoredUser | undefined>
  /** `get` through a short-lived memory cache; this node's own writes clear it at once. `list` reads through the same cache. */
  getCached(id: string): Promise<StoredUser | undefined>
  getByUsername(username: string): Promise<StoredUser | undefined>
  list(query?: UserQuery): Promise<{ items: StoredUser[]; total: number }>
  update(id: string, patch: UserPatch): Promise<StoredUser>
  /** Writes fields that are not part of the public patch (MFA, last login). */
  amend(id: string, fields: Partial<Pick<StoredUser, 'mfa_secret' | 'mfa_pending' | 'mfa_last_step' | 'last_login'>>): Promise<StoredUser>
  delete(id: string): Promise<void>
  count(): Promise<number>
}

export function toPublicUser(user: StoredUser): User {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    roles: [...user.roles],
    enabled: user.enabled,
    mfaEnabled: user.mfa_secret !== undefined,
    created_at: user.created_at,
    updated_at: user.updated_at,
    last_login: user.last_login,
  }
}

const usernamePattern = /^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$/
const emailPattern = /^[^@\s]+@[^@\s]+\.[^@\s]+$/

function checkUsername(username: unknown): string {
  if (typeof username !== 'string' || !usernamePattern.test(username)) {
    throw new IdentityError('invalid', 'Username must be 2-64 characters: letters, digits, "_", ".", "@" or "-", starting with a letter or digit')
  }
  return username
}

function checkEmail(email: unknown): string | null {
  if (email === undefined || email === null || email === '') return null
  if (typeof email !== 'string' || email.length > 254 || !emailPattern.test(email)) {
    throw new IdentityError('invalid', 'Email must be a valid address')
  }
  return email.toLowerCase()
}

function checkEnabled(enabled: unknown): boolean {
  if (typeof enabled !== 'boolean') throw new IdentityError('invalid', 'enabled must be true or false')
  return enabled
}

export function createUserStore(options: { storage: Storage; roles: RoleStore; cacheTtlMs: number; now: () => number }): UserStore {
  const { storage, roles, cacheTtlMs, now } = options
  const serialize = createKeyedQueue()
  const cache = new Map<string, { user: StoredUser | undefined; at: number }>()
  // Listing an index reads every key under its prefix (the memory driver walks the whole storage for
  // it), so each listing is kept for the cache lifetime like the records are.
  const listings = new Map<string, { ids: string[]; at: number }>()
  // Moves on with every write: a read that started before a write must not cache what it saw.
  let generation = 0

  const timestamp = () => new Date(now()).toISOString()
  const isEnabledAdmin = (user: StoredUser) => user.enabled && user.roles.includes('admin')

  async function read(id: string) {
    if (typeof id !== 'string' || id.length === 0 || id.includes(':')) return undefined
    return (await storage.getItem<StoredUser>(identityKeys.user(id))) ?? undefined
  }

  function forget(id: string) {
    generation++
    cache.delete(id)
    listings.clear()
  }

  async function write(user: StoredUser) {
    await storage.setItem(identityKeys.user(user.id), user)
    forget(user.id)
  }

  async function readCached(id: string) {
    const hit = cache.get(id)
    if (hit && now() - hit.at < cacheTtlMs) return hit.user
    const seen = generation
    const user = await read(id)
    if (seen === generation) cache.set(id, { user, at: now() })
    return user
  }

  /** The ids under an index prefix (every user, or a role's members), sorted. */
  async function idsUnder(prefix: string) {
    const hit = listings.get(prefix)
    if (hit && now() - hit.at < cacheTtlMs) return hit.ids
    const seen = generation
    const ids = (await storage.getKeys(prefix)).map(lastSegment).sort()
    if (seen === generation) listings.set(prefix, { ids, at: now() })
    return ids
  }

  async function mustRead(id: string) {
    const user = await read(id)
    if (!user) throw new IdentityError('not_found', 'User not found')
    return user
  }

  async function enabledAdminCount() {
    const ids = (await storage.getKeys(identityKeys.roleMembers('admin'))).map(lastSegment)
    const admins = await Promise.all(ids.map(read))
    return admins.filter((user) => user && isEnabledAdmin(user)).length
  }

  async function refuseLosingLastAdmin(current: StoredUser, next: StoredUser | undefined) {
    if (!isEnabledAdmin(current) || (next && isEnabledAdmin(next))) return
    if ((await enabledAdminCount()) <= 1) {
      throw new IdentityError('last_admin', 'Refused: this is the last enabled administrator')
    }
  }

  async function insert(input: UserInput): Promise<StoredUser> {
    const username = checkUsername(input?.username)
    checkPasswordPolicy(input.password)
    const email = checkEmail(input.email)
    const enabled = input.enabled === undefined ? true : checkEnabled(input.enabled)
    const roleNames = await roles.resolveNames(input.roles ?? [])
    if (await storage.hasItem(identityKeys.username(username))) throw new IdentityError('conflict', 'Username already exists')
    const time = timestamp()
    const user: StoredUser = {
      id: createTimeOrderedId(now()),
      username,
      email,
      roles: roleNames,
      enabled,
      created_at: time,
      updated_at: time,
      last_login: null,
      password_hash: await hashPassword(input.password),
      session_epoch: 0,
    }
    await write(user)
    await storage.setItem(identityKeys.username(username), user.id)
    await Promise.all(roleNames.map((role) => storage.setItem(identityKeys.roleMember(role, user.id), 1)))
    // The indexes are written after the record: drop what a list in between cached.
    forget(user.id)
    return user
  }

  async function count() {
    return (await storage.getKeys(identityKeys.users)).length
  }

  return {
    create: (input) => serialize('users', () => insert(input)),

    createFirst: (input) => serialize('users', async () => ((await count()) > 0 ? undefined : insert(input))),

    get: read,

    getCached: readCached,

    async getByUsername(username) {
      if (typeof username !== 'string' || !usernamePattern.test(username)) return undefined
      const id = await storage.getItem<string>(identityKeys.username(username))
      return typeof id === 'string' ? read(id) : undefined
    },

    async list(query = {}) {
      const { limit, offset } = pageOf(query)
      const role = query.role === undefined ? undefined : await roles.get(query.role)
      if (query.role !== undefined && !role) return { items: [], total: 0 }
      const ids = await idsUnder(role ? identityKeys.roleMembers(role.name) : identityKeys.users)
      if (query.enabled === undefined) {
        const items = await Promise.all(ids.slice(offset, offset + limit).map(readCached))
        return { items: items.filter((user): user is StoredUser => !!user), total: ids.length }
      }
      const matching = (await Promise.all(ids.map(readCached))).filter((user): user is StoredUser => !!user && user.enabled === query.enabled)
      return { items: matching.slice(offset, offset + limit), total: matching.length }
    },

    update: (id, patch) =>
      serialize('users', async () => {
        const current = await mustRead(id)
        const next: StoredUser = { ...current, updated_at: timestamp() }
        if (patch.email !== undefined) next.email = checkEmail(patch.email)
        if (patch.enabled !== undefined) next.enabled = checkEnabled(patch.enabled)
        if (patch.roles !== undefined) next.roles = await roles.resolveNames(patch.roles)
        if (patch.password !== undefined) {
          checkPasswordPolicy(patch.password)
          next.password_hash = await hashPassword(patch.password)
          next.session_epoch = current.session_epoch + 1
        }
        await refuseLosingLastAdmin(current, next)
        await write(next)
        const removed = current.roles.filter((role) => !next.roles.includes(role))
        const added = next.roles.filter((role) => !current.roles.includes(role))
        await Promise.all([
          ...removed.map((role) => storage.removeItem(identityKeys.roleMember(role, id))),
          ...added.map((role) => storage.setItem(identityKeys.roleMember(role, id), 1)),
        ])
        forget(id)
        return next
      }),

    amend: (id, fields) =>
      serialize('users', async () => {
        const next: StoredUser = { ...(await mustRead(id)), ...fields }
        for (const key of Object.keys(fields) as (keyof typeof fields)[]) {
          if (fields[key] === undefined) delete next[key]
        }
        await write(next)
        return next
      }),

    delete: (id) =>
      serialize('users', async () => {
        const current = await mustRead(id)
        await refuseLosingLastAdmin(current, undefined)
        await storage.removeItem(identityKeys.user(id))
        forget(id)
        await storage.removeItem(identityKeys.username(current.username))
        await Promise.all(current.roles.map((role) => storage.removeItem(identityKeys.roleMember(role, id))))
        forget(id)
      }),

    count,
  }
}
