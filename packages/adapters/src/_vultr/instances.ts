import { z } from 'zod'
import type { ActionContext, ActionDefinition } from '@provisio/engine'
import { isHttpStatus } from '../utils/error'
import { pollUntil } from '../utils/http-poll'
import type { HttpClient } from '../utils/http'
import { listAll, vultrApi, vultrSession as session } from './client'
import type { VultrConfig } from './config'
import type { VultrInstance } from './types'

type Context = ActionContext<VultrConfig>

export function isReady(instance: VultrInstance): boolean {
  return (
    instance.status === 'active' &&
    instance.power_status === 'running' &&
    instance.server_status === 'ok' &&
    instance.main_ip !== '0.0.0.0' &&
    instance.main_ip !== ''
  )
}

function describe(instance: VultrInstance | undefined): string {
  if (!instance) return 'instance not visible yet (404)'
  return `status ${instance.status}, power ${instance.power_status}, server ${instance.server_status}, ip ${instance.main_ip || 'none'}`
}

/** The instance without `default_password`, which Vultr sends once, on create. */
function withoutPassword(instance: VultrInstance & { default_password?: string }): VultrInstance {
  const { default_password: _password, ...rest } = instance
  return rest
}

async function getInstance(api: HttpClient, id: string, quiet = false): Promise<VultrInstance> {
  const { instance } = await api.request<{ instance: VultrInstance }>('GET', `/instances/${encodeURIComponent(id)}`, { quiet })
  return withoutPassword(instance)
}

async function waitFor(
  ctx: Context,
  api: HttpClient,
  log: (line: string) => void,
  id: string,
  done: (instance: VultrInstance) => boolean,
  goal: string,
  options: { timeoutMs?: number; tolerateNotFound?: boolean; progressFrom?: number } = {},
): Promise<VultrInstance> {
  const from = options.progressFrom ?? 0
  return pollUntil({
    read: async () => {
      try {
        return await getInstance(api, id, true)
      } catch (error) {
        // Vultr may answer 404 for a moment right after create.
        if (options.tolerateNotFound && isHttpStatus(error, 404)) return undefined
        throw error
      }
    },
    done,
    describe: (instance) => `instance ${id}: ${describe(instance)}`,
    provider: 'vultr',
    timeoutMessage: `instance ${id} did not become ${goal}`,
    intervalMs: ctx.config.pollIntervalMs,
    timeoutMs: options.timeoutMs ?? ctx.config.readyTimeoutMs,
    signal: ctx.signal,
    log,
    onPoll: (_instance, share) => ctx.progress(Math.round(from + (95 - from) * share), `waiting until ${goal}`),
  })
}

const idInput = z.object({ id: z.string().min(1) })
const powerInput = idInput.extend({
  /** Wait for the new power state (default true). */
  wait: z.boolean().default(true),
  timeoutMs: z.number().int().positive().optional(),
})

const listInput = z.object({
  region: z.string().optional(),
  label: z.string().optional(),
  tag: z.string().optional(),
  main_ip: z.string().optional(),
  /** Page size while following the cursor; the configured `perPage` when omitted. */
  per_page: z.number().int().min(1).max(500).optional(),
})

export const instanceList: ActionDefinition<VultrConfig, z.output<typeof listInput>, VultrInstance[]> = {
  description: 'Lists instances, following the cursor across every page',
  idempotent: true,
  input: listInput,
  async run(ctx, input) {
    const { api, log } = session(ctx)
    const { per_page, ...filters } = input
    const instances = await listAll<VultrInstance>(api, '/instances', 'instances', per_page ?? ctx.config.perPage, filters)
    log(`${instances.length} instance(s)`)
    return instances
  },
}

export const instanceGet: ActionDefinition<VultrConfig, z.output<typeof idInput>, VultrInstance> = {
  description: 'Reads one instance',
  idempotent: true,
  input: idInput,
  async run(ctx, input) {
    const { api, log } = session(ctx)
    const instance = await getInstance(api, input.id)
    log(`instance ${instance.id}: ${describe(instance)}`)
    return instance
  },
}

const createInput = z
  .object({
    region: z.string().min(1),
    plan: z.string().min(1),
    os_id: z.number().int().optional(),
    image_id: z.string().optional(),
    snapshot_id: z.string().optional(),
    app_id: z.number().int().optional(),
    label: z.string().optional(),
    hostname: z.string().optional(),
    tags: z.array(z.string()).optional(),
    sshkey_id: z.array(z.string()).optional(),
    /** Plain text (cloud-init); the adapter base64-encodes it as Vultr wants. */
    user_data: z.string().optional(),
    enable_ipv6: z.boolean().optional(),
    backups: z.enum(['enabled', 'disabled']).optional(),
    /** Wait until the instance is ready (default true). */
    wait: z.boolean().default(true),
    /** Overrides the configured `readyTimeoutMs`. */
    timeoutMs: z.number().int().positive().optional(),
  })
  .refine((input) => [input.os_id, input.image_id, input.snapshot_id, input.app_id].some((source) => source !== undefined), {
    message: 'one of os_id, image_id, snapshot_id or app_id is required',
    path: ['os_id'],
  })

export const instanceCreate: ActionDefinition<VultrConfig, z.output<typeof createInput>, VultrInstance> = {
  description: 'Creates an instance and waits until it is active, running, ok and has an IP; undo deletes it',
  input: createInput,
  async run(ctx, input) {
    const { api, log, redact } = session(ctx)
    const { wait, timeoutMs, user_data, ...fields } = input
    const body = { ...fields, ...(user_data === undefined ? {} : { user_data: Buffer.from(user_data).toString('base64') }) }
    const source = input.os_id !== undefined ? `os ${input.os_id}` : (input.image_id ?? input.snapshot_id ?? `app ${input.app_id}`)
    log(`creating a ${input.plan} instance in ${input.region} from ${source}`)
    ctx.progress(5, 'creating')
    const created = await api.post<{ instance: VultrInstance & { default_password?: string } }>('/instances', body)
    // The root password is sent this once: keep it out of every line and result from now on.
    redact.add(created.instance.default_password)
    const id = created.instance.id
    log(`created instance ${id}; ${describe(created.instance)}`)
    ctx.emit('instance.created', { id })
    ctx.progress(15, 'created')
    if (!wait) return withoutPassword(created.instance)
    const instance = await waitFor(ctx, api, log, id, isReady, 'ready', { timeoutMs, tolerateNotFound: true, progressFrom: 15 })
    ctx.progress(100, 'ready')
    log(`instance ${id} is ready at ${instance.main_ip}`)
    return instance
  },
  async undo(ctx, _input, result) {
    const { api, log } = session(ctx)
    try {
      await api.delete(`/instances/${encodeURIComponent(result.id)}`)
      log(`deleted instance ${result.id}`)
    } catch (error) {
      if (!isHttpStatus(error, 404)) throw error
      log(`instance ${result.id} is already gone`)
    }
    return { id: result.id, deleted: true }
  },
}

export const instanceDelete: ActionDefinition<VultrConfig, z.output<typeof idInput>, { id: string; deleted: true }> = {
  description: 'Deletes an instance',
  input: idInput,
  async run(ctx, input) {
    const { api, log } = session(ctx)
    await api.delete(`/instances/${encodeURIComponent(input.id)}`)
    log(`deleted instance ${input.id}`)
    return { id: input.id, deleted: true }
  },
}

function powerAction(verb: 'start' | 'halt' | 'reboot', description: string, done: (instance: VultrInstance) => boolean, goal: string) {
  const action: ActionDefinition<VultrConfig, z.output<typeof powerInput>, VultrInstance> = {
    description,
    input: powerInput,
    async run(ctx, input) {
      const { api, log } = session(ctx)
      await api.post(`/instances/${encodeURIComponent(input.id)}/${verb}`)
      log(`${verb} requested for instance ${input.id}`)
      if (!input.wait) return getInstance(api, input.id)
      const instance = await waitFor(ctx, api, log, input.id, done, goal, { timeoutMs: input.timeoutMs })
      ctx.progress(100, goal)
      return instance
    },
  }
  return action
}

export const instanceStart = powerAction('start', 'Starts an instance and waits until it runs', (instance) => instance.power_status === 'running', 'running')
export const instanceHalt = powerAction(
  'halt',
  'Halts (powers off) an instance and waits until it is stopped',
  (instance) => instance.power_status === 'stopped',
  'stopped',
)
export const instanceReboot = powerAction('reboot', 'Reboots an instance and waits until it is running and ok again', isReady, 'running and ok')

/** Every instance of the account, for the engine's inventory. */
export function listInstances(config: VultrConfig, signal: AbortSignal): Promise<VultrInstance[]> {
  return listAll<VultrInstance>(vultrApi(config, { signal }), '/instances', 'instances', config.perPage)
}
