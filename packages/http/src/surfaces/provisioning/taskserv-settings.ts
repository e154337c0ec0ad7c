import { join } from 'node:path'
import { ApiError } from '../../platform/errors'
import { loadInfra, WorkspaceError, type InfraSettings, type ServerSettings, type TaskservSettings, type Workspaces } from '../../workspaces'
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
 * The settings of one taskserv run, given with the request (`inlineInfra`): the taskserv as the
 * infra's settings list it (else its playbooks by convention), on the named servers, each as the
 * settings list it or as this system recorded it.
 */
export async function taskservSettings(workspaces: Workspaces, request: TaskservRequest): Promise<InfraSettings> {
  const workspaceDir = await workspaces.directory(request.workspace)
  const file = await settingsFile(workspaceDir, request)
  const records = await workspaces.servers.list({ workspace: request.workspace })
  const servers: ServerSettings[] = []
  for (const name of request.servers) {
    const listed = file?.servers.find((server) => server.name === name)
    const record = records.find((each) => each.name === name && each.infra === request.infra) ?? records.find((each) => each.name === name)
    if (listed) servers.push(listed.address || !record?.ip ? listed : { ...listed, address: record.ip })
    else if (record) servers.push(record.ip ? { name, address: record.ip, vars: {} } : { name, provider: record.provider, vars: {} })
    else throw new ApiError(404, `No server "${name}" in workspace "${request.workspace}": neither created here nor listed in infra "${request.infra}"`)
  }
  const taskserv = file?.taskservs.find((each) => each.name === request.name) ?? (await conventionalTaskserv(workspaceDir, request.name))
  return {
    servers,
    taskservs: [{ ...taskserv, servers: request.servers, vars: { ...taskserv.vars, ...request.vars } }],
    clusters: [],
  }
}
