import type { Storage } from 'unstorage'

/** What CloudLab keeps about a user beyond the shared identity record. */
export interface Profile {
  display_name: string | null
  ssh_public_key: string | null
  /** Set when the user was invited; an invited user is inactive until they accept. */
  invited_at: string | null
  invite_accepted_at: string | null
}

const empty: Profile = { display_name: null, ssh_public_key: null, invited_at: null, invite_accepted_at: null }

export interface Profiles {
  get(userId: string): Promise<Profile>
  update(userId: string, patch: Partial<Profile>): Promise<Profile>
}

export function createProfiles(storage: Storage): Profiles {
  const key = (userId: string) => `cloudlab:profiles:${userId}`
  const get = async (userId: string): Promise<Profile> => ({ ...empty, ...((await storage.getItem<Profile>(key(userId))) ?? {}) })
  return {
    get,
    async update(userId, patch) {
      const next = { ...(await get(userId)), ...patch }
      await storage.setItem(key(userId), next)
      return next
    },
  }
}
