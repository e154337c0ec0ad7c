import { prefixStorage, type Storage } from 'unstorage'

/** Which workflow is creating a server of an infra, so that two submissions never both create it. */
export interface ServerClaims {
  holder: (workspace: string, infra: string, name: string) => Promise<string | undefined>
  take: (workspace: string, infra: string, name: string, workflowId: string) => Promise<void>
  /** Releases the claim if `workflowId` holds it. */
  release: (workspace: string, infra: string, name: string, workflowId: string) => Promise<void>
}

/** Claims in `workspaces:claims:<workspace>:<infra>:<name>` of the engine's storage. */
export function serverClaims(storage: Storage): ServerClaims {
  const store = prefixStorage(storage, 'workspaces:claims')
  const key = (workspace: string, infra: string, name: string) => `${workspace}:${infra}:${name}`
  return {
    holder: async (workspace, infra, name) => (await store.getItem<string>(key(workspace, infra, name))) ?? undefined,
    take: (workspace, infra, name, workflowId) => store.setItem(key(workspace, infra, name), workflowId),
    async release(workspace, infra, name, workflowId) {
      if ((await store.getItem<string>(key(workspace, infra, name))) === workflowId) await store.removeItem(key(workspace, infra, name))
    },
  }
}
