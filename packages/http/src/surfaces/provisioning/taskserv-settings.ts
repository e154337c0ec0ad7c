import { join } from 'node:path'
import { ApiError } from '../../platform/errors'
import { loadInfra, WorkspaceError, type InfraSettings, type ServerRecord, type ServerSettings, type TaskservSettings, type Workspaces } from '../../workspaces'
import { kindOf } from '../../workspaces/paths'

export interface TaskservRequest {
  workspace: string
  infra: string
  settings: string
  name: string
  servers: string[]
  vars: Record<string, unknown>
}

/** A settings file that is not there is no error here: the taskserv and its servers can come from elsewhere. */
async function settingsFile(workspaceDir: string, request: TaskservRequest): Promise<InfraSettings | undefined> {
  try {
    return (await loadInfra(workspaceDir, request.infra, request.settings)).settings
  } catch (error) {
    if (error instanceof WorkspaceError && (error.code === 'missing_infra' || error.code === 'missing_settings')) return undefined
    throw error
  }
}

/** Playbooks by convention: `taskservs/<name>.yml`, and `taskservs/<name>-remove.yml` when it exists. */
async function conventionalTaskserv(workspaceDir: string, name: string): Promise<TaskservSettings> {
  const remove = `taskservs/${name}-remove.yml`
  const removable = (await kindOf(join(workspaceDir, remove))) === 'file'
  return { name, playbook: `taskservs/${name}.yml`, ...(removable ? { remove_playbook: remove } : {}), vars: {} }
}

/**
 * Every host the workspace knows for an infra: the servers its settings list (with the address
 * recorded when this system created them), then the servers created here that it does not list.
 * All of them go in the inventory whatever the run targets, so that runs at the same time on one
 * infra write the same inventory file rather than each other's subsets.
 */
function knownServers(file: InfraSettings | undefined, records: ServerRecord[], infra: string): ServerSettings[] {
  const servers = new Map<string, ServerSettings>()
  const recorded = (name: string) => records.find((each) => each.name === name && each.infra === infra) ?? records.find((each) => each.name === name)
  for (const listed of file?.servers ?? []) {
    const ip = recorded(listed.name)?.ip
    servers.set(listed.name, listed.address || !ip ? listed : { ...listed, address: ip })
  }
  for (const record of records) {
    if (servers.has(record.name)) continue
    servers.set(record.name, record.ip ? { name: record.name, address: record.ip, vars: {} } : { name: record.name, provider: record.provider, vars: {} })
  }
  return [...servers.values()]
}

/**
 * The settings of one taskserv run, given with the request (`inlineInfra`): the taskserv as the
 * infra's settings list it (else its playbooks by convention), run on the named servers.
 */
export async function taskservSettings(workspaces: Workspaces, request: TaskservRequest): Promise<InfraSettings> {
  const workspaceDir = await workspaces.directory(request.workspace)
  const file = await settingsFile(workspaceDir, request)
  const servers = knownServers(file, await workspaces.servers.list({ workspace: request.workspace }), request.infra)
  const unknown = request.servers.filter((name) => !servers.some((server) => server.name === name))
  if (unknown.length)
    throw new ApiError(
      404,
      `No server ${unknown.map((name) => `"${name}"`).join(', ')} in workspace "${request.workspace}": neither created here nor listed in infra "${request.infra}"`,
    )
  const taskserv = file?.taskservs.find((each) => each.name === request.name) ?? (await conventionalTaskserv(workspaceDir, request.name))
  return {
    servers,
    taskservs: [{ ...taskserv, servers: request.servers, vars: { ...taskserv.vars, ...request.vars } }],
    clusters: [],
  }
}
