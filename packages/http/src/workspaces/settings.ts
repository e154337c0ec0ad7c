import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { WorkspaceError } from './errors'
import { entryName, isInside, kindOf, relativePath } from './paths'

const hostVars = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))

/**
 * A server of an infra. `address` marks a host that already exists (nothing is created);
 * otherwise `provider` creates it, with `plan`, `zone` and the provider's own fields
 * (`os_id` for vultr, `template` for upcloud, `image` for tart), passed through.
 */
export const serverSettings = z
  .object({
    name: entryName,
    provider: z.string().min(1).optional(),
    plan: z.string().min(1).optional(),
    zone: z.string().min(1).optional(),
    address: z.string().min(1).optional(),
    /** `ansible_user` of the host. */
    user: z.string().min(1).optional(),
    /** More inventory variables of the host (`ansible_port`, `ansible_connection`...). */
    vars: hostVars.default({}),
  })
  .catchall(z.unknown())
  .refine((server) => server.address !== undefined || server.provider !== undefined, {
    message: 'a server needs a `provider` to create it, or the `address` of a host that exists',
    path: ['provider'],
  })

export const taskservSettings = z
  .object({
    name: entryName,
    /** Playbook that installs it, relative to the workspace directory. */
    playbook: relativePath,
    /** Playbook that removes it (`operation: delete`). */
    remove_playbook: relativePath.optional(),
    /** Servers it runs on; every server of the infra when omitted. */
    servers: z.array(entryName).min(1).optional(),
    /** Extra variables passed to the playbook. */
    vars: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()

export const clusterSettings = z
  .object({
    name: entryName,
    /** The cluster template that builds it: `buildkit`, `kubernetes`, or one a plugin registered. */
    type: entryName,
    /** Its servers; every server of the infra when omitted. */
    servers: z.array(entryName).min(1).optional(),
    /** Its taskservs in order; the cluster type's own list when omitted. */
    taskservs: z.array(entryName).min(1).optional(),
  })
  .strict()

function duplicates(names: string[]): string[] {
  return [...new Set(names.filter((name, index) => names.indexOf(name) !== index))]
}

export const infraSettings = z
  .object({
    servers: z.array(serverSettings).default([]),
    taskservs: z.array(taskservSettings).default([]),
    clusters: z.array(clusterSettings).default([]),
  })
  .strict()
  .superRefine((settings, ctx) => {
    const serverNames = settings.servers.map((server) => server.name)
    const taskservNames = settings.taskservs.map((taskserv) => taskserv.name)
    for (const [list, names] of [
      ['servers', serverNames],
      ['taskservs', taskservNames],
      ['clusters', settings.clusters.map((cluster) => cluster.name)],
    ] as const) {
      for (const name of duplicates([...names])) ctx.addIssue({ code: 'custom', path: [list], message: `"${name}" is listed twice` })
    }
    const unknownServers = (servers: string[] | undefined, path: (string | number)[]) => {
      for (const name of servers ?? []) if (!serverNames.includes(name)) ctx.addIssue({ code: 'custom', path, message: `no server "${name}" in servers` })
    }
    settings.taskservs.forEach((taskserv, index) => unknownServers(taskserv.servers, ['taskservs', index, 'servers']))
    settings.clusters.forEach((cluster, index) => unknownServers(cluster.servers, ['clusters', index, 'servers']))
  })

export type ServerSettings = z.output<typeof serverSettings>
export type TaskservSettings = z.output<typeof taskservSettings>
export type ClusterSettings = z.output<typeof clusterSettings>
export type InfraSettings = z.output<typeof infraSettings>

/** An infra as read from disk: where it lives and what its settings file says. */
export interface LoadedInfra {
  workspaceDir: string
  infra: string
  infraDir: string
  settingsPath: string
  settings: InfraSettings
}

function parseSettings(text: string, path: string): unknown {
  try {
    return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
  } catch (error) {
    throw new WorkspaceError(`settings file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`, 'invalid_settings')
  }
}

function settingsIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`).join('; ')
}

/** Where inline settings say they come from, in plan lines and errors. */
export const INLINE_SETTINGS = '(request)'

/**
 * An infra whose settings come with a request rather than from a file (the provisioning
 * surface's server and taskserv routes), validated like a settings file.
 */
export function inlineInfra(workspaceDir: string, infra: string, settings: unknown): LoadedInfra {
  const parsed = infraSettings.safeParse(settings)
  if (!parsed.success) throw new WorkspaceError(`settings of the request are invalid: ${settingsIssues(parsed.error)}`, 'invalid_settings')
  return { workspaceDir, infra, infraDir: join(workspaceDir, infra), settingsPath: INLINE_SETTINGS, settings: parsed.data }
}

/**
 * Reads `<workspace>/<infra>/<settings>` (JSON when it ends in `.json`, YAML otherwise) and
 * validates it. Whatever is missing or wrong is a `WorkspaceError` naming the path.
 */
export async function loadInfra(workspaceDir: string, infra: string, settings: string): Promise<LoadedInfra> {
  if ((await kindOf(workspaceDir)) !== 'directory') throw new WorkspaceError(`workspace directory ${workspaceDir} does not exist`, 'missing_workspace')
  const infraDir = join(workspaceDir, infra)
  if ((await kindOf(infraDir)) !== 'directory') throw new WorkspaceError(`infra "${infra}" does not exist: no directory ${infraDir}`, 'missing_infra')
  const settingsPath = resolve(infraDir, settings)
  if (!isInside(infraDir, settingsPath)) throw new WorkspaceError(`settings ${settings} is outside the infra directory ${infraDir}`, 'missing_settings')
  if ((await kindOf(settingsPath)) !== 'file') throw new WorkspaceError(`settings file ${settingsPath} does not exist`, 'missing_settings')
  const raw = parseSettings(await readFile(settingsPath, 'utf8'), settingsPath)
  const parsed = infraSettings.safeParse(raw ?? {})
  if (!parsed.success) throw new WorkspaceError(`settings file ${settingsPath} is invalid: ${settingsIssues(parsed.error)}`, 'invalid_settings')
  return { workspaceDir, infra, infraDir, settingsPath, settings: parsed.data }
}
