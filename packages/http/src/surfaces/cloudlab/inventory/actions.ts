import { readFile } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import type { Engine, JobRecord } from '@provisio/engine'
import { parse } from 'yaml'
import type { Principal } from '../../../identity'
import { ApiError } from '../../../platform/errors'
import { cloudlabJobLabel } from '../operations/jobs'
import { CLOUDLAB_PROVIDER } from '../operations/provider'
import { ServiceCatalog } from '../operations/services'
import type { InventoryObject } from './store'
import type { InventoryAction, InventoryTypeConfig } from './type-config'

export type ActionInputs = Record<string, string | number | boolean | (string | number | boolean)[]>

export interface ActionRequest {
  type: InventoryTypeConfig
  action: InventoryAction
  /** Absent for a type-scoped action. */
  object?: InventoryObject
  principal: Principal
  /** `dynamic_scripts`: the `scripts.yaml` entry to run instead of the action's `script_name`. */
  script?: string | null
  inputs?: ActionInputs | null
}

export interface ActionRunnerDeps {
  engine: Engine
  servicesDir: string
}

/** Action types the web UI handles itself: it opens the terminal over the SSH WebSocket. */
const terminalActionTypes = new Set(['ssh', 'builtin'])

export function isTerminalAction(action: InventoryAction): boolean {
  return terminalActionTypes.has(action.type) || action.name === 'ssh'
}

/** A service's folder, refused when the name would leave the services folder. */
function serviceFolder(servicesDir: string, service: string): string {
  const root = resolve(servicesDir)
  const folder = resolve(root, service)
  if (service === '' || folder === root || !folder.startsWith(root + sep) || service.includes('/') || service.includes('\\')) {
    throw new ApiError(400, 'Path traversal detected in script file')
  }
  return folder
}

/** A path an action names, inside the service folder unless absolute (CloudLab's playbooks live in `/init_playbook`). */
function scriptPath(folder: string, file: string): string {
  const path = resolve(folder, file)
  if (!path.startsWith(folder + sep)) throw new ApiError(400, 'Path traversal detected in script file')
  return path
}

/** `scripts.yaml`'s entries (`file`, or the wiki's `script`), or the one `deploy.sh` entry without the file. */
async function serviceScripts(folder: string): Promise<{ name: string; file: string }[]> {
  const text = await readFile(join(folder, 'scripts.yaml'), 'utf8').catch(() => undefined)
  if (text === undefined) return [{ name: 'deploy', file: 'deploy.sh' }]
  let document: unknown
  try {
    document = parse(text)
  } catch {
    throw new ApiError(400, 'scripts.yaml is not valid YAML')
  }
  const scripts = (document as { scripts?: unknown } | null)?.scripts
  if (!Array.isArray(scripts)) return []
  return scripts.flatMap((entry) => {
    const { name, file, script } = (entry ?? {}) as Record<string, unknown>
    const path = typeof file === 'string' ? file : script
    return typeof name === 'string' && typeof path === 'string' ? [{ name, file: path }] : []
  })
}

/** `{{ field }}` (single spaces, as CloudLab writes it) replaced by the object's value. */
function fillTemplate(template: unknown, data: Record<string, unknown>): string {
  let value = String(template)
  for (const [field, fieldValue] of Object.entries(data)) {
    value = value.replaceAll(`{{ ${field} }}`, typeof fieldValue === 'object' && fieldValue !== null ? JSON.stringify(fieldValue) : String(fieldValue))
  }
  return value
}

const execInputs = (inputs: ActionInputs | null | undefined) =>
  Object.fromEntries(Object.entries(inputs ?? {}).map(([name, value]) => [name, Array.isArray(value) ? value.map(String) : value]))

/**
 * The step an action runs inside the cloudlab provider's `inventory.action` job: `script` and
 * `dynamic_scripts` as a service script (`bash <services>/<name>/<file>`, inputs as
 * `INPUT_<NAME>`, the vault password file and container paths as for /api/services), `playbook` through the ansible adapter with `vars_mapping` as extra vars,
 * `script_stop` as the operations part's stop of the service's instances.
 */
async function stepFor(deps: ActionRunnerDeps, request: ActionRequest, service: string) {
  const { action, object } = request
  const data = object?.data ?? {}
  const folder = serviceFolder(deps.servicesDir, service)
  switch (action.type) {
    case 'script': {
      const path = scriptPath(folder, action.script ?? 'deploy.sh')
      return { run: 'script' as const, input: { dir: folder, file: relative(folder, path), inputs: execInputs(request.inputs) } }
    }
    case 'dynamic_scripts': {
      const wanted = request.script ?? action.script_name ?? 'deploy'
      const entry = (await serviceScripts(folder)).find((script) => script.name === wanted)
      if (!entry) throw new ApiError(400, `Script '${wanted}' not found for service '${service}'`)
      const path = scriptPath(folder, entry.file)
      return { run: 'script' as const, input: { dir: folder, file: relative(folder, path), inputs: execInputs(request.inputs) } }
    }
    case 'playbook': {
      if (!action.playbook) throw new ApiError(400, `Action '${action.name}' names no playbook`)
      const playbook = isAbsolute(action.playbook) ? action.playbook : scriptPath(folder, action.playbook)
      const extraVars = Object.fromEntries(Object.entries(action.vars_mapping ?? {}).map(([name, template]) => [name, fillTemplate(template, data)]))
      return { run: 'playbook' as const, input: { playbook, cwd: folder, extraVars } }
    }
    case 'script_stop': {
      // The operations part's stop: the service's Vultr instances, by tag and by instance.yaml's labels.
      const name = typeof data.name === 'string' ? data.name : service
      const labels = await new ServiceCatalog(deps.servicesDir).instanceLabels(name)
      return { run: 'stop' as const, input: { scope: 'service' as const, service: name, labels } }
    }
    default:
      if (isTerminalAction(action)) {
        throw new ApiError(400, `Action '${action.name}' opens a terminal: connect to the WebSocket /api/inventory/ws/{id}/action?action=${action.name}`)
      }
      throw new ApiError(400, `Unknown action type: ${action.type}`)
  }
}

/** Labels every cloudlab job carries: who started it and for what, read back by the jobs routes and the deployment sync. */
function actionLabels(request: ActionRequest, service: string): Record<string, string> {
  return {
    [cloudlabJobLabel.surface]: 'cloudlab',
    [cloudlabJobLabel.service]: service,
    [cloudlabJobLabel.action]: request.action.name,
    [cloudlabJobLabel.userId]: request.principal.userId,
    [cloudlabJobLabel.username]: request.principal.username,
    inventory_type: request.type.slug,
    ...(request.object ? { object_id: String(request.object.id) } : {}),
  }
}

/** Submits the action as an engine job; what fails before the job exists is a 400 in CloudLab's words. */
export async function runAction(deps: ActionRunnerDeps, request: ActionRequest): Promise<JobRecord> {
  const name = request.object?.data.name
  const service = typeof name === 'string' && name !== '' ? name : request.type.slug
  const step = await stepFor(deps, request, service)
  return deps.engine.jobs.submit({
    provider: CLOUDLAB_PROVIDER,
    action: 'inventory.action',
    input: { banner: `--- Running ${request.action.name} (${request.action.type}) ---`, step },
    labels: actionLabels(request, service),
  })
}
