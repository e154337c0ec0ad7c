import type { ServerSettings } from './settings'

/** One provider action of a server's creation. */
export interface CreateStep {
  action: string
  input: Record<string, unknown>
  /** What the plan says this step does. */
  describe: string
}

/** How one provider creates a server of an infra, and how its result names it. */
export interface ServerDriver {
  provider: string
  /** The actions that create the server, in order; the last one's result identifies it. */
  createSteps: (server: ServerSettings, options: { wait: boolean }) => CreateStep[]
  /** The provider id and public IPv4 from the last step's result. */
  identify: (result: unknown, name: string) => { providerId: string; ip: string | null }
  /** The action (and its input) that deletes a server this driver created. */
  deleteStep: (providerId: string) => { action: string; input: Record<string, unknown> }
}

/** Fields given in settings that the provider's action takes as they are. */
function pick(server: ServerSettings, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => server[key] !== undefined).map((key) => [key, server[key]]))
}

const vultr: ServerDriver = {
  provider: 'vultr',
  createSteps: (server, { wait }) => [
    {
      action: 'instance.create',
      input: {
        region: server.zone,
        plan: server.plan,
        label: server.name,
        hostname: server.hostname ?? server.name,
        ...pick(server, ['os_id', 'image_id', 'snapshot_id', 'app_id', 'tags', 'sshkey_id', 'user_data', 'enable_ipv6', 'backups']),
        wait,
      },
      describe: `vultr instance.create (plan ${server.plan}, region ${server.zone})`,
    },
  ],
  identify: (result) => {
    const instance = result as { id: string; main_ip?: string }
    return { providerId: instance.id, ip: instance.main_ip && instance.main_ip !== '0.0.0.0' ? instance.main_ip : null }
  },
  deleteStep: (id) => ({ action: 'instance.delete', input: { id } }),
}

const upcloud: ServerDriver = {
  provider: 'upcloud',
  createSteps: (server, { wait }) => [
    {
      action: 'server.create',
      input: {
        zone: server.zone,
        plan: server.plan,
        title: server.name,
        hostname: server.hostname ?? server.name,
        template: server.template ?? 'Debian GNU/Linux 12 (Bookworm)',
        ...(server.storage_size_gb === undefined ? {} : { storageSizeGb: server.storage_size_gb }),
        ...(server.storage_tier === undefined ? {} : { storageTier: server.storage_tier }),
        ...(server.user_data === undefined ? {} : { userData: server.user_data }),
        ...pick(server, ['labels']),
        wait,
      },
      describe: `upcloud server.create (plan ${server.plan}, zone ${server.zone}, template ${server.template ?? 'Debian GNU/Linux 12 (Bookworm)'})`,
    },
  ],
  identify: (result) => {
    const server = result as { uuid: string; ipAddresses?: { access: string; family: string; address: string }[] }
    const ip = server.ipAddresses?.find((address) => address.access === 'public' && address.family === 'IPv4')?.address ?? null
    return { providerId: server.uuid, ip }
  },
  deleteStep: (uuid) => ({ action: 'server.delete', input: { uuid, storages: true } }),
}

const tart: ServerDriver = {
  provider: 'tart',
  createSteps: (server, { wait }) => [
    { action: 'vm.clone', input: { source: server.image, name: server.name }, describe: `tart vm.clone of ${String(server.image)}` },
    { action: 'vm.run', input: { name: server.name, requireIp: wait }, describe: 'tart vm.run' },
  ],
  // A tart VM is known by its name.
  identify: (result, name) => {
    const run = result as { ip_address?: string | null }
    return { providerId: name, ip: run.ip_address ?? null }
  },
  deleteStep: (name) => ({ action: 'vm.delete', input: { name } }),
}

/** The providers servers of an infra can be created with. */
export const serverDrivers: ReadonlyMap<string, ServerDriver> = new Map([vultr, upcloud, tart].map((driver) => [driver.provider, driver]))
