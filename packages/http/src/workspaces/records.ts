import { prefixStorage, type Storage } from 'unstorage'

/** A server this system created for an infra; the provisioning surface lists these. */
export interface ServerRecord {
  workspace: string
  infra: string
  name: string
  provider: string
  /** The provider's id: Vultr instance id, UpCloud uuid, tart VM name. */
  provider_id: string
  /** The plan and zone (region) it was created with, when its settings gave them. */
  plan?: string
  zone?: string
  /** Public IPv4 once known, `null` when created without waiting. */
  ip: string | null
  created_at: string
  /** The workflow whose operation created it. */
  workflow_id?: string
}

export interface ServerRecords {
  get: (workspace: string, infra: string, name: string) => Promise<ServerRecord | undefined>
  /** Every record, or those of one workspace (and infra), sorted by workspace, infra, name. */
  list: (filter?: { workspace?: string; infra?: string }) => Promise<ServerRecord[]>
  put: (record: ServerRecord) => Promise<void>
  /** True when there was a record to remove. */
  remove: (workspace: string, infra: string, name: string) => Promise<boolean>
}

/** Server records in `workspaces:servers:<workspace>:<infra>:<name>` of the engine's storage. */
export function serverRecords(storage: Storage): ServerRecords {
  const store = prefixStorage(storage, 'workspaces:servers')
  const key = (workspace: string, infra: string, name: string) => `${workspace}:${infra}:${name}`
  return {
    get: async (workspace, infra, name) => (await store.getItem<ServerRecord>(key(workspace, infra, name))) ?? undefined,
    async list(filter = {}) {
      const base = [filter.workspace, filter.workspace === undefined ? undefined : filter.infra].filter(Boolean).join(':')
      const keys = await store.getKeys(base)
      const records = await Promise.all(keys.map((each) => store.getItem<ServerRecord>(each)))
      return records
        .filter((record): record is ServerRecord => record !== null)
        .sort((a, b) => a.workspace.localeCompare(b.workspace) || a.infra.localeCompare(b.infra) || a.name.localeCompare(b.name))
    },
    put: (record) => store.setItem(key(record.workspace, record.infra, record.name), record),
    async remove(workspace, infra, name) {
      const existing = await store.hasItem(key(workspace, infra, name))
      if (existing) await store.removeItem(key(workspace, infra, name))
      return existing
    },
  }
}
