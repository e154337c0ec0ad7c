import { z } from 'zod'
import type { ActionContext, ActionDefinition } from '@provisio/engine'
import type { HttpClient } from '../utils/http'
import { createError, isHttpStatus, WaitTimeoutError } from '../utils/error'
import { pollUntil } from '../utils/http-poll'
import { upcloudSession as session } from './client'
import type { UpCloudConfig } from './config'
import { parseServer, parseServerSummary, parseTemplate, unwrapList } from './parse'
import type { UpCloudServer, UpCloudServerState, UpCloudServerSummary } from './types'

type Context = ActionContext<UpCloudConfig>
type Raw = Record<string, unknown>

const serverPath = (uuid: string) => `/server/${encodeURIComponent(uuid)}`

async function getServer(api: HttpClient, uuid: string, quiet = false): Promise<UpCloudServer> {
  const answer = await api.request<{ server: Raw }>('GET', serverPath(uuid), { quiet })
  return parseServer(answer.server)
}

function waitForState(
  ctx: Context,
  api: HttpClient,
  log: (line: string) => void,
  uuid: string,
  wanted: UpCloudServerState,
  options: { timeoutMs?: number; progressFrom?: number } = {},
): Promise<UpCloudServer> {
  const from = options.progressFrom ?? 0
  return pollUntil({
    read: () => getServer(api, uuid, true),
    done: (server) => server.state === wanted,
    describe: (server) => `server ${uuid}: ${server?.state ?? 'unknown'}`,
    provider: 'upcloud',
    timeoutMessage: `server ${uuid} did not reach state ${wanted}`,
    intervalMs: ctx.config.pollIntervalMs,
    timeoutMs: options.timeoutMs ?? ctx.config.readyTimeoutMs,
    signal: ctx.signal,
    log,
    onPoll: (_server, share) => ctx.progress(Math.round(from + (95 - from) * share), `waiting for ${wanted}`),
  })
}

/** Soft stop, then a hard one if the guest did not shut down within `timeoutSeconds`. */
async function stopServer(
  ctx: Context,
  api: HttpClient,
  log: (line: string) => void,
  uuid: string,
  timeoutSeconds: number,
  hard: boolean,
): Promise<UpCloudServer> {
  const current = await getServer(api, uuid)
  if (current.state === 'stopped') {
    log(`server ${uuid} is already stopped`)
    return current
  }
  const requestStop = async (stopType: 'soft' | 'hard') => {
    log(`stopping server ${uuid} (${stopType}${stopType === 'soft' ? `, ${timeoutSeconds} s` : ''})`)
    await api.post(`${serverPath(uuid)}/stop`, { stop_server: { stop_type: stopType, timeout: String(timeoutSeconds) } })
  }
  if (!hard) {
    await requestStop('soft')
    try {
      return await waitForState(ctx, api, log, uuid, 'stopped', { timeoutMs: timeoutSeconds * 1000 })
    } catch (error) {
      if (!(error instanceof WaitTimeoutError)) throw error
      log(`server ${uuid} did not stop within ${timeoutSeconds} s; stopping it hard`)
    }
  }
  try {
    await requestStop('hard')
  } catch (error) {
    // The soft stop may have finished between the last read and the hard stop.
    if (!isHttpStatus(error, 409)) throw error
  }
  return waitForState(ctx, api, log, uuid, 'stopped', { progressFrom: 50 })
}

export const serverList: ActionDefinition<UpCloudConfig, Record<string, never>, UpCloudServerSummary[]> = {
  description: 'Lists the servers of the account',
  idempotent: true,
  input: z.object({}).strict() as z.ZodType<Record<string, never>>,
  async run(ctx) {
    const { api, log } = session(ctx)
    const servers = await listServers(api)
    log(`${servers.length} server(s)`)
    return servers
  },
}

const uuidInput = z.object({ uuid: z.string().min(1) })

export const serverGet: ActionDefinition<UpCloudConfig, z.output<typeof uuidInput>, UpCloudServer> = {
  description: 'Reads one server with its IP addresses and storage devices',
  idempotent: true,
  input: uuidInput,
  async run(ctx, input) {
    const { api, log } = session(ctx)
    const server = await getServer(api, input.uuid)
    log(`server ${server.uuid}: ${server.state}`)
    return server
  },
}

const createInput = z.object({
  zone: z.string().min(1),
  title: z.string().min(1),
  hostname: z.string().min(1),
  plan: z.string().min(1),
  /** UUID of a template storage, or its exact title (e.g. `Debian GNU/Linux 12 (Bookworm)`). */
  template: z.string().min(1),
  /** System disk size in GB. Default 25. */
  storageSizeGb: z.number().int().min(1).default(25),
  storageTier: z.enum(['maxiops', 'standard', 'hdd']).default('maxiops'),
  loginUser: z
    .object({
      username: z.string().min(1),
      sshKeys: z.array(z.string()).default([]),
      /** Whether UpCloud generates a password; it is never kept in the result or output. */
      createPassword: z.boolean().default(false),
    })
    .optional(),
  /** cloud-init user data (plain text or a URL); needs `metadata`. */
  userData: z.string().optional(),
  metadata: z.boolean().default(true),
  labels: z.record(z.string(), z.string()).default({}),
  /** Wait until the server is `started` (default true). */
  wait: z.boolean().default(true),
  timeoutMs: z.number().int().positive().optional(),
})
type CreateInput = z.output<typeof createInput>

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

async function resolveTemplate(api: HttpClient, template: string): Promise<string> {
  if (uuidPattern.test(template)) return template
  const answer = await api.get<{ storages: Raw }>('/storage/template')
  const match = unwrapList(answer.storages, 'storage')
    .map(parseTemplate)
    .find((candidate) => candidate.title === template)
  if (!match) throw createError('upcloud', `no template titled "${template}"`, { code: 'TEMPLATE_NOT_FOUND' })
  return match.uuid
}

function createBody(input: CreateInput, templateUuid: string): Raw {
  return {
    server: {
      zone: input.zone,
      title: input.title,
      hostname: input.hostname,
      plan: input.plan,
      metadata: input.metadata ? 'yes' : 'no',
      ...(input.userData === undefined ? {} : { user_data: input.userData }),
      ...(Object.keys(input.labels).length === 0 ? {} : { labels: { label: Object.entries(input.labels).map(([key, value]) => ({ key, value })) } }),
      storage_devices: {
        storage_device: [{ action: 'clone', storage: templateUuid, title: `${input.hostname}-disk1`, size: input.storageSizeGb, tier: input.storageTier }],
      },
      ...(input.loginUser
        ? {
            login_user: {
              username: input.loginUser.username,
              create_password: input.loginUser.createPassword ? 'yes' : 'no',
              ssh_keys: { ssh_key: input.loginUser.sshKeys },
            },
          }
        : {}),
    },
  }
}

export const serverCreate: ActionDefinition<UpCloudConfig, CreateInput, UpCloudServer> = {
  description: 'Creates a server from a template and waits out maintenance until it is started; undo stops and deletes it with its disks',
  input: createInput,
  async run(ctx, input) {
    const { api, log, redact } = session(ctx)
    const templateUuid = await resolveTemplate(api, input.template)
    log(`creating server ${input.hostname} (${input.plan}) in ${input.zone} from template ${templateUuid}`)
    ctx.progress(5, 'creating')
    const answer = await api.post<{ server: Raw }>('/server', createBody(input, templateUuid))
    // A generated password comes back only here: hide it from every later line.
    redact.collect(answer)
    const created = parseServer(answer.server)
    log(`created server ${created.uuid}: ${created.state}`)
    ctx.emit('server.created', { uuid: created.uuid })
    ctx.progress(15, 'created')
    if (!input.wait) return created
    const server = await waitForState(ctx, api, log, created.uuid, 'started', { timeoutMs: input.timeoutMs, progressFrom: 15 })
    ctx.progress(100, 'started')
    const address = server.ipAddresses.find((ip) => ip.access === 'public' && ip.family === 'IPv4')?.address
    log(`server ${server.uuid} is started${address ? ` at ${address}` : ''}`)
    return server
  },
  async undo(ctx, _input, result) {
    const { api, log } = session(ctx)
    try {
      await stopServer(ctx, api, log, result.uuid, ctx.config.stopTimeoutSeconds, true)
      await api.delete(serverPath(result.uuid), { storages: 1 })
      log(`deleted server ${result.uuid} and its storages`)
    } catch (error) {
      if (!isHttpStatus(error, 404)) throw error
      log(`server ${result.uuid} is already gone`)
    }
    return { uuid: result.uuid, deleted: true }
  },
}

const waitInput = uuidInput.extend({ wait: z.boolean().default(true), timeoutMs: z.number().int().positive().optional() })

export const serverStart: ActionDefinition<UpCloudConfig, z.output<typeof waitInput>, UpCloudServer> = {
  description: 'Starts a stopped server and waits until it is started',
  input: waitInput,
  async run(ctx, input) {
    const { api, log } = session(ctx)
    const current = await getServer(api, input.uuid)
    if (current.state === 'started') {
      log(`server ${input.uuid} is already started`)
      return current
    }
    log(`starting server ${input.uuid}`)
    await api.post(`${serverPath(input.uuid)}/start`, { server: {} })
    if (!input.wait) return getServer(api, input.uuid)
    const server = await waitForState(ctx, api, log, input.uuid, 'started', { timeoutMs: input.timeoutMs })
    ctx.progress(100, 'started')
    return server
  },
}

const stopInput = uuidInput.extend({
  /** Seconds the guest gets to shut down before a hard stop; the configured `stopTimeoutSeconds` when omitted. */
  timeoutSeconds: z.number().int().min(1).max(600).optional(),
  /** Skip the soft stop. */
  hard: z.boolean().default(false),
})

export const serverStop: ActionDefinition<UpCloudConfig, z.output<typeof stopInput>, UpCloudServer> = {
  description: 'Stops a server: soft with a timeout, then hard if it is still running; waits until stopped',
  input: stopInput,
  async run(ctx, input) {
    const { api, log } = session(ctx)
    const server = await stopServer(ctx, api, log, input.uuid, input.timeoutSeconds ?? ctx.config.stopTimeoutSeconds, input.hard)
    ctx.progress(100, 'stopped')
    return server
  },
}

const deleteInput = uuidInput.extend({
  /** Delete the server's storages too (`?storages=1`). Default true. */
  storages: z.boolean().default(true),
})

export const serverDelete: ActionDefinition<UpCloudConfig, z.output<typeof deleteInput>, { uuid: string; deleted: true }> = {
  description: 'Deletes a stopped server (and by default its storages)',
  input: deleteInput,
  async run(ctx, input) {
    const { api, log } = session(ctx)
    await api.delete(serverPath(input.uuid), input.storages ? { storages: 1 } : undefined)
    log(`deleted server ${input.uuid}${input.storages ? ' and its storages' : ''}`)
    return { uuid: input.uuid, deleted: true }
  },
}

export async function listServers(api: HttpClient): Promise<UpCloudServerSummary[]> {
  const answer = await api.get<{ servers: Raw }>('/server')
  return unwrapList(answer.servers, 'server').map(parseServerSummary)
}
