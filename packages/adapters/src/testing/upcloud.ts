import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { BAD_JSON, createTimers, readJsonBody, StandInApiError as ApiError, startHttpStandIn, type HttpStandIn, type StandInRequest } from './_http'
import type { ProviderStandIn } from '@provisio/engine/testing'
import type { UpCloudOptions } from '../upcloud'
import { upcloudPlans, upcloudTemplates, upcloudZones } from './_upcloud/catalog'

export interface UpCloudStandInOptions {
  /** API user accepted with HTTP Basic auth. */
  username: string
  password: string
  /** Also accept `Authorization: Bearer <token>`. */
  token?: string
  /** 0 picks a free port. */
  port?: number
  host?: string
  /** How long a new server stays in `maintenance`. Default 20 000; `Infinity` never starts. */
  readyAfterMs?: number
  /** How long a start takes (`maintenance` meanwhile). Default 5 000. */
  startAfterMs?: number
  /** How long a soft stop takes (the server stays `started` meanwhile). Default 5 000. */
  stopAfterMs?: number
  /** How long a hard stop takes. Default 500. */
  hardStopAfterMs?: number
  /** A guest that ignores soft stops: only a hard stop stops it. Default false. */
  ignoreSoftStop?: boolean
}

/** A server as the API shows it (strings for numbers, `yes`/`no`, double-wrapped lists). */
export type UpCloudStandInServer = Record<string, unknown> & {
  uuid: string
  state: string
  storage_devices: { storage_device: Array<Record<string, unknown>> }
}

export interface UpCloudStandInState {
  servers: Map<string, UpCloudStandInServer>
  /** Disks by UUID; `DELETE /server/{uuid}?storages=1` removes a server's. */
  storages: Map<string, Record<string, unknown>>
  requests: StandInRequest[]
  /** Passwords generated for `create_password: "yes"`, so tests can check they leak nowhere. */
  passwords: Map<string, string>
  /**
   * UUIDs of servers that exist but are not this API user's: another account's,
   * or ones a subaccount has no permission for. Any call on one answers 403
   * `SERVER_FORBIDDEN`, as UpCloud does.
   */
  forbiddenServers: Set<string>
}

/** The API is under `apiUrl` (`url` + `/1.3`, as at UpCloud): the adapter's `baseUrl`. */
export type UpCloudStandIn = HttpStandIn<UpCloudStandInState>

type Json = Record<string, unknown>

let addressCounter = 10
// Documentation networks (RFC 5737, RFC 3849): nothing real answers there.
function allocateAddresses() {
  const n = (addressCounter++ % 240) + 10
  return [
    { access: 'private', address: `10.6.${n}.${n}`, family: 'IPv4' },
    { access: 'public', address: `198.51.100.${n}`, family: 'IPv4' },
    { access: 'public', address: `2001:db8::${n.toString(16)}`, family: 'IPv6' },
    { access: 'utility', address: `10.3.${n}.${n}`, family: 'IPv4' },
  ]
}

const summaryKeys = [
  'core_number',
  'created',
  'hostname',
  'labels',
  'license',
  'memory_amount',
  'plan',
  'plan_ipv4_bytes',
  'plan_ipv6_bytes',
  'state',
  'tags',
  'title',
  'uuid',
  'zone',
]

/**
 * A local UpCloud API 1.3: servers with their state machine (maintenance →
 * started → stopped), zones, plans, templates, Basic or Bearer auth, UpCloud's
 * error bodies and injected faults.
 *
 * ```ts
 * const upcloud = await startUpCloudStandIn({ username: 'u', password: 'p', port: 0, readyAfterMs: 1_000 })
 * ```
 */
export async function startUpCloudStandIn(options: UpCloudStandInOptions): Promise<UpCloudStandIn> {
  const readyAfterMs = options.readyAfterMs ?? 20_000
  const startAfterMs = options.startAfterMs ?? 5_000
  const stopAfterMs = options.stopAfterMs ?? 5_000
  const hardStopAfterMs = options.hardStopAfterMs ?? 500
  const state: UpCloudStandInState = { servers: new Map(), storages: new Map(), requests: [], passwords: new Map(), forbiddenServers: new Set() }
  const timers = createTimers()
  const basic = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`

  const setState = (uuid: string, next: string) => {
    const server = state.servers.get(uuid)
    if (server) server.state = next
  }

  const findServer = (uuid: string) => {
    if (state.forbiddenServers.has(uuid)) throw new ApiError(403, `The server ${uuid} exists but is owned by another account.`, 'SERVER_FORBIDDEN')
    const server = state.servers.get(uuid)
    if (!server) throw new ApiError(404, `The server ${uuid} does not exist.`, 'SERVER_NOT_FOUND')
    return server
  }

  const illegalState = (server: UpCloudStandInServer, doing: string) =>
    new ApiError(409, `The server ${server.uuid} is in state ${server.state} and cannot be ${doing}.`, 'SERVER_STATE_ILLEGAL')

  const createServer = (body: Json): Json => {
    const input = body.server as Json | undefined
    if (!input || typeof input !== 'object') throw new ApiError(400, 'The request body must hold a server object.', 'SERVER_INVALID')
    const text = (key: string) => (typeof input[key] === 'string' ? (input[key] as string) : '')
    if (!text('zone')) throw new ApiError(400, 'The zone is missing.', 'ZONE_MISSING')
    if (!upcloudZones.some((zone) => zone.id === text('zone'))) throw new ApiError(400, `The zone ${text('zone')} is not valid.`, 'ZONE_INVALID')
    if (!text('title')) throw new ApiError(400, 'The title is missing.', 'TITLE_MISSING')
    if (!text('hostname')) throw new ApiError(400, 'The hostname is missing.', 'HOSTNAME_MISSING')
    const plan = upcloudPlans.find((candidate) => candidate.name === (text('plan') || '1xCPU-1GB'))
    if (!plan) throw new ApiError(400, `The plan ${text('plan')} is not valid.`, 'PLAN_INVALID')
    const devices = (input.storage_devices as Json | undefined)?.storage_device
    const deviceList = (Array.isArray(devices) ? devices : devices ? [devices] : []) as Json[]
    if (deviceList.length === 0) throw new ApiError(400, 'At least one storage device is required.', 'STORAGE_DEVICES_MISSING')
    const uuid = `00${randomUUID().slice(2)}`
    const storageDevices = deviceList.map((device, index) => {
      if (device.action === 'clone' && !upcloudTemplates.some((template) => template.uuid === device.storage)) {
        throw new ApiError(400, `The storage ${String(device.storage)} does not exist or is not a template.`, 'STORAGE_INVALID')
      }
      const size = Number(device.size ?? plan.storage_size)
      if (!Number.isInteger(size) || size < 10 || size > 4096) throw new ApiError(400, 'The storage size must be between 10 and 4096 GB.', 'SIZE_INVALID')
      const storage = `01${randomUUID().slice(2)}`
      const title = typeof device.title === 'string' ? device.title : `${text('hostname')}-disk${index + 1}`
      state.storages.set(storage, {
        uuid: storage,
        title,
        size,
        tier: device.tier ?? 'maxiops',
        type: 'normal',
        state: 'online',
        zone: text('zone'),
        server: uuid,
      })
      return {
        address: `virtio:${index}`,
        boot_disk: index === 0 ? '1' : '0',
        part_of_plan: size === plan.storage_size && index === 0 ? 'yes' : 'no',
        storage,
        storage_size: size,
        storage_tier: String(device.tier ?? 'maxiops'),
        storage_title: title,
        type: 'disk',
      }
    })
    const tags = (input.tags as Json | undefined)?.tag
    const server: UpCloudStandInServer = {
      boot_order: 'disk',
      core_number: String(plan.core_number),
      created: Math.floor(Date.now() / 1000),
      firewall: 'off',
      host: 7653311107,
      hostname: text('hostname'),
      ip_addresses: { ip_address: allocateAddresses() },
      labels: (input.labels as Json | undefined) ?? { label: [] },
      license: 0,
      memory_amount: String(plan.memory_amount),
      metadata: input.metadata === 'yes' ? 'yes' : 'no',
      nic_model: 'virtio',
      plan: plan.name,
      plan_ipv4_bytes: '0',
      plan_ipv6_bytes: '0',
      progress: '0',
      remote_access_enabled: 'no',
      simple_backup: 'no',
      state: 'maintenance',
      storage_devices: { storage_device: storageDevices },
      tags: { tag: Array.isArray(tags) ? tags : [] },
      timezone: 'UTC',
      title: text('title'),
      uuid,
      video_model: 'vga',
      zone: text('zone'),
    }
    state.servers.set(uuid, server)
    const loginUser = input.login_user as Json | undefined
    const answer: Json = structuredClone(server)
    // UpCloud returns a generated password once, in the create answer.
    if (loginUser?.create_password === 'yes') {
      answer.password = `Up-${randomUUID().slice(0, 16)}`
      state.passwords.set(uuid, answer.password as string)
    }
    timers.after(readyAfterMs, () => setState(uuid, 'started'))
    return answer
  }

  const route = async (method: string, segments: string[], query: URLSearchParams, req: IncomingMessage): Promise<[number, unknown?]> => {
    const readBody = async (): Promise<Json> => {
      const body = await readJsonBody(req)
      if (body === BAD_JSON) throw new ApiError(400, 'The JSON in the request body is malformed.', 'JSON_MALFORMED')
      if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body)))
        throw new ApiError(400, 'The request body must be a JSON object.', 'JSON_MALFORMED')
      return (body ?? {}) as Json
    }
    const [resource, id, verb] = segments
    const depth = segments.length
    if (method === 'GET' && depth === 1 && resource === 'zone') return [200, { zones: { zone: upcloudZones } }]
    if (method === 'GET' && depth === 1 && resource === 'plan') return [200, { plans: { plan: upcloudPlans } }]
    if (method === 'GET' && depth === 2 && resource === 'storage' && id === 'template') return [200, { storages: { storage: upcloudTemplates } }]
    if (method === 'GET' && depth === 1 && resource === 'account')
      return [200, { account: { credits: 10_000, username: options.username, resource_limits: {} } }]
    if (resource !== 'server') throw new ApiError(404, 'The requested resource was not found.', 'NOT_FOUND')
    if (depth === 1 && method === 'GET') {
      // A subaccount lists only the servers it has permission for.
      const servers = [...state.servers.values()]
        .filter((server) => !state.forbiddenServers.has(server.uuid))
        .map((server) => Object.fromEntries(summaryKeys.map((key) => [key, server[key]])))
      return [200, { servers: { server: servers } }]
    }
    if (depth === 1 && method === 'POST') return [202, { server: createServer(await readBody()) }]
    const server = findServer(id!)
    if (depth === 2 && method === 'GET') return [200, { server }]
    if (depth === 2 && method === 'DELETE') {
      if (server.state !== 'stopped') throw illegalState(server, 'deleted')
      state.servers.delete(server.uuid)
      if (query.get('storages') === '1' || query.get('storages') === 'true') {
        for (const device of server.storage_devices.storage_device) state.storages.delete(String(device.storage))
      }
      return [204]
    }
    if (depth === 3 && method === 'POST' && verb === 'start') {
      await readBody()
      if (server.state !== 'stopped') throw illegalState(server, 'started')
      server.state = 'maintenance'
      timers.after(startAfterMs, () => setState(server.uuid, 'started'))
      return [200, { server }]
    }
    if (depth === 3 && method === 'POST' && verb === 'stop') {
      const stop = (await readBody()).stop_server as Json | undefined
      const stopType = stop?.stop_type ?? 'soft'
      if (stopType !== 'soft' && stopType !== 'hard') throw new ApiError(400, 'The stop type must be soft or hard.', 'STOP_TYPE_INVALID')
      if (stop?.timeout !== undefined && !/^\d+$/.test(String(stop.timeout)))
        throw new ApiError(400, 'The timeout must be a number of seconds.', 'TIMEOUT_INVALID')
      if (server.state !== 'started') throw illegalState(server, 'stopped')
      // The answer still says "started": the server stops in the background.
      const answer = structuredClone(server)
      if (stopType === 'hard') timers.after(hardStopAfterMs, () => setState(server.uuid, 'stopped'))
      else if (!options.ignoreSoftStop) timers.after(stopAfterMs, () => setState(server.uuid, 'stopped'))
      return [200, { server: answer }]
    }
    throw new ApiError(404, 'The requested resource was not found.', 'NOT_FOUND')
  }

  const gate = (req: IncomingMessage) => {
    const authorization = req.headers.authorization ?? ''
    const bearer = /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim()
    if (bearer !== undefined ? !options.token || bearer !== options.token : authorization !== basic) {
      throw new ApiError(401, 'Authentication failed using the given username and password.', 'AUTHENTICATION_FAILED', {
        'www-authenticate': 'Basic realm="UpCloud API"',
      })
    }
  }

  return startHttpStandIn({
    port: options.port,
    host: options.host,
    version: '1.3',
    state,
    timers,
    gate,
    route,
    errorBody: (error) => ({ error: { error_code: error.code, error_message: error.message } }),
    faultError: (status) =>
      status === 429 ? new ApiError(429, 'Too many requests.', 'TOO_MANY_REQUESTS') : new ApiError(status, 'An internal error occurred.', 'INTERNAL_ERROR'),
    notFound: () => new ApiError(404, 'The requested resource was not found.', 'NOT_FOUND'),
    internalError: (message) => new ApiError(500, message, 'INTERNAL_ERROR'),
  })
}

/**
 * The UpCloud provider's stand-in for the provider conformance suite: this API on loopback,
 * servers that start and stop in 50 ms, and a template list that answers too slowly to wait for.
 *
 * ```ts
 * describe('providers: upcloud', () => testProvider(upcloudProvider, upcloudStandIn()))
 * ```
 */
export function upcloudStandIn(): ProviderStandIn<UpCloudOptions> {
  const username = 'conformance'
  const password = 'UPW-CONFORMANCE-93A6F0D2'
  return {
    async start() {
      const api = await startUpCloudStandIn({ username, password, readyAfterMs: 50, startAfterMs: 50, stopAfterMs: 50, hardStopAfterMs: 50 })
      api.inject({ path: '/1.3/storage/template', delayMs: 60_000, count: Number.POSITIVE_INFINITY })
      return { options: { username, password, baseUrl: api.apiUrl, pollIntervalMs: 20, retryBaseMs: 10, readyTimeoutMs: 10_000 }, stop: api.close }
    },
    succeeds: { action: 'zone.list', input: {} },
    fails: { action: 'server.get', input: { uuid: '00000000-0000-4000-8000-000000000000' }, code: 'SERVER_NOT_FOUND' },
    cancellable: { action: 'template.list', input: {} },
    reversible: {
      action: 'server.create',
      // The template by UUID: resolving a title would read the slow template list.
      input: { zone: 'de-fra1', title: 'conformance', hostname: 'conformance.example.com', plan: '1xCPU-1GB', template: upcloudTemplates[1]!.uuid },
    },
    secrets: [password],
  }
}
