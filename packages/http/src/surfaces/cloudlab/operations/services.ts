import { existsSync, realpathSync, statSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { ApiError } from '../../../platform/errors'

/** One input of a `scripts.yaml` script, as the UI renders it (`list`, `select`, `ssh_key_select`, text ...). */
export interface ScriptInput {
  name: string
  label?: string
  type?: string
  required?: boolean
  default?: unknown
  options?: unknown[]
  [key: string]: unknown
}

export interface ServiceScript {
  name: string
  label?: string
  file: string
  inputs?: ScriptInput[]
  [key: string]: unknown
}

export const defaultScripts: ServiceScript[] = [{ name: 'deploy', label: 'Deploy', file: 'deploy.sh' }]

/** Files `/configs` reads and writes, as the real backend allows them. */
export const configFiles = ['config.yaml', 'instance.yaml', 'outputs.yaml', 'scripts.yaml'] as const

/** The real backend's cap on config files and on files in `inputs/` and `outputs/`. */
export const maxFileBytes = 100 * 1024

const fileFolders = new Set(['inputs', 'outputs'])

/**
 * A path parameter decoded completely: the router leaves `%2F` encoded, so `..%2F..%2Fetc` is one
 * segment. Decoded, it is checked (and refused) as the path it names.
 */
export const pathSegment = z
  .string()
  .min(1)
  .transform((value) => {
    try {
      return decodeURIComponent(value)
    } catch {
      return value
    }
  })

export const serviceNotFound = () => new ApiError(404, 'Service not found')

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** `realpath` of what exists; a path that does not exist yet resolves through its nearest existing parent. */
function realOrResolved(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    const parent = dirname(path)
    return parent === path ? resolve(path) : join(realOrResolved(parent), basename(path))
  }
}

/** True when `path`, symlinks followed, stays inside `base`. */
export function isInside(base: string, path: string): boolean {
  return realOrResolved(path).startsWith(realOrResolved(base) + sep)
}

/**
 * The services of a CloudLab Manager `services/` folder, used in place: a folder with `deploy.sh`
 * (the real backend), or with `instance.yaml` and `main.yaml` (seed 000), is a service.
 */
export class ServiceCatalog {
  constructor(readonly root: string) {}

  /**
   * The folder of a service: the name is one path segment of the services folder. The folder
   * itself may be a symlink (an operator's layout); what is inside it is checked against it.
   */
  dir(name: string): string | undefined {
    if (!name || /[/\\\0]/.test(name) || name === '.' || name === '..') return undefined
    const dir = join(this.root, name)
    if (isFile(join(dir, 'deploy.sh'))) return dir
    if (isFile(join(dir, 'instance.yaml')) && isFile(join(dir, 'main.yaml'))) return dir
    return undefined
  }

  require(name: string): string {
    const dir = this.dir(name)
    if (!dir) throw serviceNotFound()
    return dir
  }

  /** How a service deploys: its `deploy.sh`, or seed 000's `main.yaml` playbook. */
  deployKind(dir: string): 'script' | 'playbook' {
    return isFile(join(dir, 'deploy.sh')) ? 'script' : 'playbook'
  }

  async names(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => [])
    return entries
      .filter((entry) => entry.isDirectory() || entry.isSymbolicLink())
      .map((entry) => entry.name)
      .filter((name) => this.dir(name) !== undefined)
      .sort()
  }

  /** `scripts.yaml`'s scripts (`file`, or the wiki's `script`), else the one deploy script. */
  async scripts(name: string): Promise<ServiceScript[]> {
    const parsed = await readYaml(join(this.require(name), 'scripts.yaml'))
    const scripts = (parsed as { scripts?: unknown } | undefined)?.scripts
    if (!Array.isArray(scripts)) return defaultScripts
    return scripts
      .filter((script): script is Record<string, unknown> => typeof script === 'object' && script !== null && typeof script.name === 'string')
      .map((script) => ({ ...script, name: String(script.name), file: String(script.file ?? script.script ?? 'deploy.sh') }))
  }

  /** `instance.yaml` parsed, or null when the service has none (or it does not parse). */
  async instanceConfig(name: string): Promise<unknown> {
    return (await readYaml(join(this.require(name), 'instance.yaml'))) ?? null
  }

  /** Labels of the instances `instance.yaml` declares, which a stop of the service removes. */
  async instanceLabels(name: string): Promise<string[]> {
    const config = (await this.instanceConfig(name)) as { instances?: { label?: unknown }[] } | null
    return (config?.instances ?? []).map((instance) => instance?.label).filter((label): label is string => typeof label === 'string')
  }

  /** `outputs/service_outputs.yaml`'s `outputs:` list. */
  async outputs(name: string): Promise<unknown[]> {
    const parsed = (await readYaml(join(this.require(name), 'outputs', 'service_outputs.yaml'))) as { outputs?: unknown } | undefined
    return Array.isArray(parsed?.outputs) ? parsed.outputs : []
  }

  hasActiveDeployment(name: string): boolean {
    const dir = this.dir(name)
    return dir !== undefined && existsSync(join(dir, 'outputs', 'temp_inventory.yaml'))
  }

  /** The absolute path of a file in `inputs/` or `outputs/`, refused when it leaves that folder. */
  folderFile(name: string, folder: string, filename?: string): { folder: string; path: string } {
    if (!fileFolders.has(folder)) throw new ApiError(400, "Subdirectory must be one of: {'inputs', 'outputs'}")
    const base = join(this.require(name), folder)
    if (filename === undefined) return { folder: base, path: base }
    const path = join(base, filename)
    if (!filename || /[/\\\0]/.test(filename) || !isInside(base, path)) throw new ApiError(400, 'Path traversal detected')
    return { folder: base, path }
  }

  /** The absolute path of an allowed config file, refused when it (a symlink) leads out of the service. */
  configFile(name: string, filename: string): string {
    if (!(configFiles as readonly string[]).includes(filename)) throw new ApiError(400, `File '${filename}' is not allowed`)
    const dir = this.require(name)
    const path = join(dir, filename)
    if (!isInside(dir, path)) throw new ApiError(400, 'Path traversal detected')
    return path
  }

  /** The script file of a `scripts.yaml` entry, checked as the real backend does. */
  scriptFile(name: string, file: string): string {
    const dir = this.require(name)
    const path = join(dir, file)
    if (!isInside(dir, path)) throw new ApiError(400, 'Path traversal detected in script file')
    if (!isFile(path)) throw new ApiError(404, `Script file '${file}' not found`)
    return path
  }
}

/** A YAML file parsed, or undefined when it is missing or does not parse (the real backend ignores both). */
async function readYaml(path: string): Promise<unknown> {
  try {
    return parseYaml(await readFile(path, 'utf8'))
  } catch {
    return undefined
  }
}
