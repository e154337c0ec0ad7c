import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { ApiError } from '../../../platform/errors'
import { configFiles, maxFileBytes, type ServiceCatalog } from './services'

export interface FileEntry {
  name: string
  size: number
  modified: string
}

const fileNotFound = (name: string) => new ApiError(404, `File '${name}' not found`)

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path)
    return info.isFile() ? info.size : undefined
  } catch {
    return undefined
  }
}

/** A service's config files and the files of its `inputs/` and `outputs/`, with the real backend's checks and messages. */
export class ServiceFiles {
  constructor(private readonly catalog: ServiceCatalog) {}

  async listConfigs(service: string): Promise<{ service_dir: string; configs: { name: string; exists: boolean }[] }> {
    const dir = this.catalog.require(service)
    const configs = await Promise.all(configFiles.map(async (name) => ({ name, exists: (await sizeOf(join(dir, name))) !== undefined })))
    return { service_dir: dir, configs }
  }

  async readConfig(service: string, filename: string): Promise<{ filename: string; content: string }> {
    const path = this.catalog.configFile(service, filename)
    const size = await sizeOf(path)
    if (size === undefined) throw fileNotFound(filename)
    if (size > maxFileBytes) throw new ApiError(400, `File too large (${size} bytes)`)
    return { filename, content: await readFile(path, 'utf8') }
  }

  /** Valid YAML only, 100 KB at most; the file it replaces is kept as `<name>.backup`. */
  async writeConfig(service: string, filename: string, content: string): Promise<{ status: 'saved'; filename: string }> {
    const path = this.catalog.configFile(service, filename)
    if (Buffer.byteLength(content) > maxFileBytes) throw new ApiError(400, 'Content too large')
    try {
      parseYaml(content)
    } catch (error) {
      throw new ApiError(400, `Invalid YAML: ${(error as Error).message.split('\n')[0]}`)
    }
    if ((await sizeOf(path)) !== undefined) await copyFile(path, `${path}.backup`)
    await writeFile(path, content)
    return { status: 'saved', filename }
  }

  async listFiles(service: string, folder: string): Promise<{ files: FileEntry[] }> {
    const { folder: dir } = this.catalog.folderFile(service, folder)
    const names = (await readdir(dir).catch(() => [] as string[])).sort()
    const files: FileEntry[] = []
    for (const name of names) {
      const info = await stat(join(dir, name)).catch(() => undefined)
      if (info?.isFile()) files.push({ name, size: info.size, modified: info.mtime.toISOString().replace(/Z$/, '+00:00') })
    }
    return { files }
  }

  /** Checks the service and the folder name before an upload's body is read. */
  existingFolder(service: string, folder: string): void {
    this.catalog.folderFile(service, folder)
  }

  /** The path of an existing file, for a download. */
  async existing(service: string, folder: string, filename: string): Promise<string> {
    const { path } = this.catalog.folderFile(service, folder, filename)
    if ((await sizeOf(path)) === undefined) throw fileNotFound(filename)
    return path
  }

  /** Writes a file into `inputs/` or `outputs/` (created if missing), 100 KB at most. */
  async write(service: string, folder: string, filename: string, content: Uint8Array): Promise<void> {
    const { folder: dir, path } = this.catalog.folderFile(service, folder, filename)
    if (content.byteLength > maxFileBytes) throw new ApiError(400, `File too large (${content.byteLength} bytes, max ${maxFileBytes})`)
    await mkdir(dir, { recursive: true })
    await writeFile(path, content)
  }

  /** Deletes a file, keeping a `.backup` copy beside it as the real backend does. */
  async delete(service: string, folder: string, filename: string): Promise<void> {
    const path = await this.existing(service, folder, filename)
    await copyFile(path, `${path}.backup`)
    await rm(path)
  }
}
