import { mkdir, readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { NotFoundError, ProvisioError, ValidationError } from '@provisio/engine'
import { prefixStorage, type Storage } from 'unstorage'
import { entryName, isInside, kindOf } from './paths'
import { serverRecords, type ServerRecords } from './records'

export const DEFAULT_WORKSPACE = 'default'

export interface WorkspaceInfo {
  name: string
  /** Absolute path of its directory. */
  path: string
  created_at?: string
  /** When work was last submitted on it (`touch`); absent when never. */
  last_used?: string
}

interface StoredWorkspace {
  name: string
  path: string
  created_at: string
}

export interface CreateWorkspace {
  name: string
  /** Its directory, absolute or relative to the root, inside the root; `<root>/<name>` when omitted. */
  path?: string
  /** Make it the creating user's active workspace. */
  activate?: boolean
}

export interface WorkspacesOptions {
  /** Directory holding the workspaces (`<dataDir>/workspaces` for `provisio serve`). */
  root: string
  /** Where workspaces created with a `path`, active workspaces and server records are kept (the engine's). */
  storage: Storage
}

/**
 * Workspaces: directories under one root, each holding infra folders (see docs/workspaces.md).
 * `default` is created on first use; each user has an active workspace (`default` until chosen).
 */
export interface Workspaces {
  readonly root: string
  list: () => Promise<WorkspaceInfo[]>
  /** Creates the directory; refuses a taken name and a path outside the root. */
  create: (request: CreateWorkspace, userId?: string) => Promise<WorkspaceInfo>
  /** The directory of a workspace (created for `default`); `undefined` for an unknown one. */
  find: (name: string) => Promise<WorkspaceInfo | undefined>
  /** The directory a workspace name stands for, whether it exists or not (`default` is created). */
  directory: (name: string) => Promise<string>
  /** The user's active workspace: the one they chose while it still exists, else `default`. */
  active: (userId: string) => Promise<string>
  activate: (userId: string, name: string) => Promise<void>
  /** Notes that work was submitted on a workspace now: its `last_used`. */
  touch: (name: string) => Promise<void>
  servers: ServerRecords
}

export function createWorkspaces(options: WorkspacesOptions): Workspaces {
  const root = resolve(options.root)
  const registered = prefixStorage(options.storage, 'workspaces:registered')
  const activeStore = prefixStorage(options.storage, 'workspaces:active')
  const lastUsed = prefixStorage(options.storage, 'workspaces:last-used')

  async function ensureDefault(): Promise<string> {
    const path = join(root, DEFAULT_WORKSPACE)
    await mkdir(path, { recursive: true })
    return path
  }

  async function stored(): Promise<StoredWorkspace[]> {
    const keys = await registered.getKeys()
    const items = await Promise.all(keys.map((key) => registered.getItem<StoredWorkspace>(key)))
    return items.filter((item): item is StoredWorkspace => item !== null)
  }

  async function directory(name: string): Promise<string> {
    if (name === DEFAULT_WORKSPACE) return ensureDefault()
    const record = await registered.getItem<StoredWorkspace>(name)
    return record?.path ?? join(root, name)
  }

  async function find(name: string): Promise<WorkspaceInfo | undefined> {
    if (!entryName.safeParse(name).success) return undefined
    const record = await registered.getItem<StoredWorkspace>(name)
    const path = await directory(name)
    if ((await kindOf(path)) !== 'directory') return undefined
    return record ?? { name, path }
  }

  async function list(): Promise<WorkspaceInfo[]> {
    await ensureDefault()
    const known = await stored()
    const byName = new Map<string, WorkspaceInfo>(known.map((workspace) => [workspace.name, workspace]))
    // Folders made by hand directly under the root count too, unless they only hold registered workspaces.
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (!entry.isDirectory() || byName.has(entry.name) || !entryName.safeParse(entry.name).success) continue
      const path = join(root, entry.name)
      if (known.some((workspace) => workspace.path !== path && isInside(path, workspace.path))) continue
      byName.set(entry.name, { name: entry.name, path })
    }
    const used = await Promise.all([...byName.keys()].map(async (name) => [name, await lastUsed.getItem<string>(name)] as const))
    for (const [name, at] of used) if (at) byName.set(name, { ...byName.get(name)!, last_used: at })
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  async function create(request: CreateWorkspace, userId?: string): Promise<WorkspaceInfo> {
    const name = entryName.safeParse(request.name)
    if (!name.success) throw ValidationError.fromZod('invalid workspace name', name.error, 'name')
    const path = resolve(root, request.path ?? request.name)
    if (!isInside(root, path) || path === root) {
      throw new ValidationError('invalid workspace path', [{ path: 'path', message: `must be inside the workspaces root ${root}` }])
    }
    if (await find(request.name)) throw new ProvisioError(`workspace "${request.name}" already exists`, { code: 'conflict' })
    if ((await list()).some((workspace) => workspace.path === path)) throw new ProvisioError(`${path} is already a workspace`, { code: 'conflict' })
    await mkdir(path, { recursive: true })
    const workspace: StoredWorkspace = { name: request.name, path, created_at: new Date().toISOString() }
    await registered.setItem(request.name, workspace)
    if (request.activate && userId) await activeStore.setItem(userId, request.name)
    return workspace
  }

  return {
    root,
    list,
    create,
    find,
    directory,
    async active(userId) {
      const chosen = await activeStore.getItem<string>(userId)
      if (chosen && (await find(chosen))) return chosen
      return DEFAULT_WORKSPACE
    },
    async activate(userId, name) {
      if (!(await find(name))) throw new NotFoundError(`no workspace "${name}"`)
      await activeStore.setItem(userId, name)
    },
    touch: (name) => lastUsed.setItem(name, new Date().toISOString()),
    servers: serverRecords(options.storage),
  }
}
