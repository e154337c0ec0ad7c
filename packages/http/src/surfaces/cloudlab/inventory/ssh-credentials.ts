import { readdir, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'

export interface SshCredentials {
  host: string
  port: number
  user: string
  privateKeyFile: string
  /** The service whose `outputs/temp_inventory.yaml` named the host. */
  service: string
}

interface InventoryHost {
  ansible_host?: unknown
  ansible_port?: unknown
  ansible_user?: unknown
  ansible_ssh_private_key_file?: unknown
}

const isFile = (path: string) =>
  stat(path).then(
    (info) => info.isFile(),
    () => false,
  )

/**
 * The SSH login of a host, as CloudLab finds it: `all.hosts.<host>` of any service's
 * `outputs/temp_inventory.yaml`, with `ansible_user` defaulting to root and a key file that
 * exists. `ansible_port` is honoured too (CloudLab always dials 22). Relative key paths are
 * read from the service's folder.
 */
export async function findSshCredentials(servicesDir: string, hostname: string): Promise<SshCredentials | undefined> {
  const services = (await readdir(servicesDir, { withFileTypes: true }).catch(() => []))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
  for (const service of services) {
    const folder = join(servicesDir, service)
    const text = await readFile(join(folder, 'outputs', 'temp_inventory.yaml'), 'utf8').catch(() => undefined)
    if (text === undefined) continue
    let hosts: Record<string, InventoryHost> | undefined
    try {
      hosts = (parse(text) as { all?: { hosts?: Record<string, InventoryHost> } } | null)?.all?.hosts
    } catch {
      continue
    }
    const entry = hosts && Object.hasOwn(hosts, hostname) ? hosts[hostname] : undefined
    if (!entry || typeof entry.ansible_ssh_private_key_file !== 'string' || typeof entry.ansible_host !== 'string') continue
    const privateKeyFile = resolve(folder, entry.ansible_ssh_private_key_file)
    if (!(await isFile(privateKeyFile))) continue
    const port = Number(entry.ansible_port ?? 22)
    return {
      host: entry.ansible_host,
      port: Number.isInteger(port) && port > 0 && port < 65536 ? port : 22,
      user: typeof entry.ansible_user === 'string' && entry.ansible_user !== '' ? entry.ansible_user : 'root',
      privateKeyFile,
      service,
    }
  }
  return undefined
}
