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
  /** The actions (and their inputs) that delete a server this driver created, in order. */
  deleteSteps: (providerId: string) => ProviderStep[]
  /** The action that lists the provider's servers, read for their live state. */
  listStep: ProviderStep
  /** The live state of one server in the list step's result; `undefined` when the provider no longer has it. */
  liveState: (listed: unknown, providerId: string) => LiveState | undefined
}

export interface ProviderStep {
  action: string
  input: Record<string, unknown>
}

/** What the provider says of a server now: `running`, `pending`, `stopped` or the provider's own word. */
export interface LiveState {
  status: string
  /** Public IPv4 when the provider reports one. */
  ip: string | null
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
  deleteSteps: (id) => [{ action: 'instance.delete', input: { id } }],
  listStep: { action: 'instance.list', input: {} },
  liveState: (listed, id) => {
    const instance = (listed as { id: string; status: string; power_status: string; main_ip?: string }[]).find((each) => each.id === id)
    if (!instance) return undefined
    const status = instance.status === 'active' ? instance.power_status : instance.status
    return { status, ip: instance.main_ip && instance.main_ip !== '0.0.0.0' ? instance.main_ip : null }
  },
}

/** UpCloud's states in the words the other providers use. */
const upcloudStatus: Record<string, string> = { started: 'running', maintenance: 'pending' }

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
  // UpCloud deletes only stopped servers.
  deleteSteps: (uuid) => [
    { action: 'server.stop', input: { uuid } },
    { action: 'server.delete', input: { uuid, storages: true } },
  ],
  listStep: { action: 'server.list', input: {} },
  liveState: (listed, uuid) => {
    const server = (listed as { uuid: string; state: string }[]).find((each) => each.uuid === uuid)
    // The list carries no addresses: the recorded one stands.
    return server ? { status: upcloudStatus[server.state] ?? server.state, ip: null } : undefined
  },
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
  deleteSteps: (name) => [{ action: 'vm.delete', input: { name } }],
  listStep: { action: 'vm.list', input: {} },
  liveState: (listed, name) => {
    const vm = (listed as { name: string; state: string }[]).find((each) => each.name === name)
    return vm ? { status: vm.state, ip: null } : undefined
  },
}

const drivers = new Map([vultr, upcloud, tart].map((driver) => [driver.provider, driver]))

/** The providers servers of an infra can be created with: vultr, upcloud, tart, and those plugins add. */
export const serverDrivers: ReadonlyMap<string, ServerDriver> = drivers

/** Lets servers be created with a plugin's provider: call it from the plugin's `setup`. A provider has one driver. */
export function registerServerDriver(driver: ServerDriver): void {
  if (drivers.has(driver.provider) && drivers.get(driver.provider) !== driver)
    throw new Error(`[provisio] [workspaces] provider "${driver.provider}" already has a server driver`)
  drivers.set(driver.provider, driver)
}
