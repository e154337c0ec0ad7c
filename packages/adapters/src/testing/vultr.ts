import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { BlockList, isIPv6 } from 'node:net'
import type { ProviderStandIn } from '@provisio/engine/testing'
import type { VultrOptions } from '../vultr'
import type { VultrAccount, VultrInstance } from '../_vultr/types'
import {
  BAD_JSON,
  createTimers,
  readJsonBody,
  remoteAddress,
  StandInApiError as ApiError,
  startHttpStandIn,
  type HttpStandIn,
  type StandInRequest,
} from './_http'
import { vultrOperatingSystems, vultrPlans, vultrRegions } from './_vultr/catalog'

export interface VultrStandInOptions {
  /** The only API key accepted (`Authorization: Bearer <apiKey>`). */
  apiKey: string
  /** 0 picks a free port. */
  port?: number
  host?: string
  /** How long a new instance stays pending/none/0.0.0.0. Default 30 000; `Infinity` never gets ready. */
  readyAfterMs?: number
  /** How long start, halt and reboot take. Default 3 000. */
  powerDelayMs?: number
  /** A new instance answers 404 to `GET /instances/{id}` for this long, as Vultr may. Default 0. */
  notFoundAfterCreateMs?: number
  /** Requests per second allowed per key before 429. Default 30. */
  rateLimitPerSecond?: number
  /**
   * The key's API access control list: subnets (`192.0.2.0/24`, `2001:db8::/32`,
   * or a bare address) it may be used from. Other callers get Vultr's 401
   * `Unauthorized IP address: <ip>`. Default: any address.
   */
  allowedSubnets?: string[]
  /**
   * The permissions of the key's user (Vultr's ACL names). Listing and reading
   * instances needs `subscriptions_view` or `subscriptions`, creating one
   * `provisioning`, deleting and powering one `subscriptions`; a call without
   * its permission answers 403. `['subscriptions_view']` is a read-only key.
   * Default: every permission, as for the account's owner.
   */
  acls?: string[]
  /** What `GET /account` answers (merged over a stand-in account in credit by 0); `state.account` changes it later. */
  account?: Partial<VultrAccount>
}

export interface VultrStandInState {
  instances: Map<string, VultrInstance>
  /** Every request answered, oldest first. */
  requests: StandInRequest[]
  /** The `default_password` each create answered with, so tests can check it leaks nowhere. */
  defaultPasswords: Map<string, string>
  account: VultrAccount
}

/** The API is under `apiUrl` (`url` + `/v2`, as at Vultr): the adapter's `baseUrl`, ansible's `api_endpoint`. */
export type VultrStandIn = HttpStandIn<VultrStandInState>

type Json = Record<string, unknown>

const cursorPrefix = { next: 'next__', prev: 'prev__' }
const encodeCursor = (kind: 'next' | 'prev', offset: number) => Buffer.from(`${cursorPrefix[kind]}${offset}`).toString('base64')
function decodeCursor(cursor: string): number {
  const match = /^(?:next|prev)__(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'))
  if (!match) throw new ApiError(400, 'Invalid cursor.')
  return Number(match[1])
}

/** Vultr's list answer: one page and `meta` with the total and the cursors. */
function paginate(items: unknown[], key: string, query: URLSearchParams): Json {
  const asked = Number.parseInt(query.get('per_page') ?? '', 10)
  const perPage = Number.isNaN(asked) ? 100 : Math.min(500, Math.max(1, asked))
  const cursor = query.get('cursor')
  const offset = cursor ? decodeCursor(cursor) : 0
  const end = offset + perPage
  return {
    [key]: items.slice(offset, end),
    meta: {
      total: items.length,
      links: { next: end < items.length ? encodeCursor('next', end) : '', prev: offset > 0 ? encodeCursor('prev', Math.max(0, offset - perPage)) : '' },
    },
  }
}

/** Treats JSON `null` as absent: clients such as ansible send every known field. */
function field<T>(body: Json, key: string): T | undefined {
  const value = body[key]
  return value === null ? undefined : (value as T)
}

let ipCounter = 10
// Documentation addresses (RFC 5737): nothing real answers there.
const nextIp = () => `203.0.113.${(ipCounter++ % 240) + 10}`

/**
 * A local Vultr API v2: instances with state transitions, regions, plans, OS
 * images, cursor pagination, Bearer auth, the 30 req/s limit and injected faults.
 *
 * ```ts
 * const vultr = await startVultrStandIn({ apiKey: 'k', port: 0, readyAfterMs: 2_000 })
 * const provider = vultr({ apiKey: 'k', baseUrl: stand.apiUrl })
 * ```
 */
export async function startVultrStandIn(options: VultrStandInOptions): Promise<VultrStandIn> {
  const readyAfterMs = options.readyAfterMs ?? 30_000
  const powerDelayMs = options.powerDelayMs ?? 3_000
  const notFoundAfterCreateMs = options.notFoundAfterCreateMs ?? 0
  const rateLimit = options.rateLimitPerSecond ?? 30
  const state: VultrStandInState = {
    instances: new Map(),
    requests: [],
    defaultPasswords: new Map(),
    account: {
      name: 'Stand-in',
      email: 'standin@example.com',
      acls: ['manage_users', 'subscriptions'],
      balance: 0,
      pending_charges: 0,
      last_payment_date: '',
      last_payment_amount: 0,
      ...options.account,
    },
  }
  const visibleAt = new Map<string, number>()
  const userData = new Map<string, string>()
  const recentByKey = new Map<string, number[]>()
  const timers = createTimers()
  const allowed = options.allowedSubnets && subnetList(options.allowedSubnets)

  const overLimit = (key: string) => {
    const now = Date.now()
    const recent = (recentByKey.get(key) ?? []).filter((at) => at > now - 1000)
    recentByKey.set(key, recent)
    if (recent.length >= rateLimit) return true
    recent.push(now)
    return false
  }

  const findInstance = (id: string) => {
    const instance = state.instances.get(id)
    if (!instance) throw new ApiError(404, 'Invalid instance-id.')
    return instance
  }

  const createInstance = (body: Json): VultrInstance & { default_password: string } => {
    const regionId = field<string>(body, 'region')
    const planId = field<string>(body, 'plan')
    if (!regionId) throw new ApiError(400, 'Missing region.')
    if (!vultrRegions.some((region) => region.id === regionId)) throw new ApiError(400, 'Invalid region.')
    if (!planId) throw new ApiError(400, 'Missing plan.')
    const plan = vultrPlans.find((candidate) => candidate.id === planId)
    if (!plan) throw new ApiError(400, 'Invalid plan.')
    if (!plan.locations.includes(regionId)) throw new ApiError(400, `Plan ${planId} is not available in region ${regionId}.`)
    const osId = field<number>(body, 'os_id')
    const sources = ['os_id', 'iso_id', 'snapshot_id', 'app_id', 'image_id'].filter((key) => field(body, key) !== undefined && field(body, key) !== '')
    if (sources.length === 0) throw new ApiError(400, 'Must specify one of os_id, iso_id, snapshot_id, app_id or image_id.')
    const os = osId === undefined ? undefined : vultrOperatingSystems.find((candidate) => candidate.id === Number(osId))
    if (osId !== undefined && !os) throw new ApiError(400, 'Invalid os_id.')
    const tags = field<unknown>(body, 'tags') ?? []
    if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string')) throw new ApiError(400, 'tags must be an array of strings.')
    const script = field<string>(body, 'user_data')
    if (script !== undefined && (typeof script !== 'string' || Buffer.from(script, 'base64').toString('base64') !== script.replace(/\s/g, ''))) {
      throw new ApiError(400, 'user_data must be base64 encoded.')
    }
    const label = field<string>(body, 'label') ?? ''
    const features = [field(body, 'enable_ipv6') ? 'ipv6' : undefined, field(body, 'backups') === 'enabled' ? 'auto_backups' : undefined].filter(
      (feature): feature is string => feature !== undefined,
    )
    const id = randomUUID()
    const instance: VultrInstance = {
      id,
      os: os?.name ?? 'Custom Installed',
      ram: plan.ram,
      disk: plan.disk,
      main_ip: '0.0.0.0',
      vcpu_count: plan.vcpu_count,
      region: regionId,
      plan: plan.id,
      date_created: new Date().toISOString().replace(/\.\d+Z$/, '+00:00'),
      status: 'pending',
      allowed_bandwidth: plan.bandwidth,
      netmask_v4: '',
      gateway_v4: '0.0.0.0',
      power_status: 'running',
      server_status: 'none',
      v6_main_ip: '',
      v6_network: '',
      v6_network_size: 0,
      label,
      internal_ip: '',
      kvm: '',
      hostname: field<string>(body, 'hostname') ?? (label || 'vultr.guest'),
      tag: tags[0] ?? '',
      tags,
      os_id: os?.id ?? 0,
      app_id: Number(field(body, 'app_id') ?? 0),
      image_id: field<string>(body, 'image_id') ?? '',
      firewall_group_id: field<string>(body, 'firewall_group_id') ?? '',
      features,
    }
    state.instances.set(id, instance)
    userData.set(id, script ?? '')
    visibleAt.set(id, Date.now() + notFoundAfterCreateMs)
    const answer = { ...instance, tags: [...tags], features: [...features], default_password: `Pw!${randomUUID().slice(0, 12)}` }
    state.defaultPasswords.set(id, answer.default_password)
    timers.after(readyAfterMs, () => {
      const current = state.instances.get(id)
      if (!current) return
      Object.assign(current, {
        status: 'active',
        power_status: 'running',
        server_status: 'ok',
        main_ip: nextIp(),
        netmask_v4: '255.255.254.0',
        gateway_v4: '203.0.113.1',
        kvm: `https://my.vultr.com/subs/vps/novnc/api.php?data=${id}`,
      })
    })
    return answer
  }

  const setPower = (instance: VultrInstance, verb: string) => {
    const id = instance.id
    const update = (changes: Partial<VultrInstance>) => {
      const current = state.instances.get(id)
      if (current) Object.assign(current, changes)
    }
    if (verb === 'halt') timers.after(powerDelayMs, () => update({ power_status: 'stopped' }))
    else if (verb === 'start') timers.after(powerDelayMs, () => update({ power_status: 'running' }))
    else if (instance.status === 'active') {
      update({ server_status: 'installingbooting' })
      timers.after(powerDelayMs, () => update({ power_status: 'running', server_status: 'ok' }))
    }
  }

  const listInstances = (query: URLSearchParams) =>
    [...state.instances.values()].filter(
      (instance) =>
        (!query.get('label') || instance.label === query.get('label')) &&
        (!query.get('region') || instance.region === query.get('region')) &&
        (!query.get('tag') || instance.tags.includes(query.get('tag')!)) &&
        (!query.get('main_ip') || instance.main_ip === query.get('main_ip')),
    )

  /** Answers one authenticated API call: [status, body]. */
  const route = async (method: string, segments: string[], query: URLSearchParams, req: IncomingMessage): Promise<[number, unknown?]> => {
    const readBody = async () => {
      const body = await readJsonBody(req)
      if (body === BAD_JSON) throw new ApiError(400, 'Invalid JSON body.')
      if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body)))
        throw new ApiError(400, 'Request body must be a JSON object.')
      return (body ?? {}) as Json
    }
    const [resource, id, sub] = segments
    const path = segments.length
    if (method === 'GET' && path === 1 && resource === 'regions') return [200, paginate(vultrRegions, 'regions', query)]
    if (method === 'GET' && path === 1 && resource === 'os') return [200, paginate(vultrOperatingSystems, 'os', query)]
    if (method === 'GET' && path === 1 && resource === 'plans') {
      const type = query.get('type')
      return [200, paginate(type && type !== 'all' ? vultrPlans.filter((plan) => plan.type === type) : vultrPlans, 'plans', query)]
    }
    if (method === 'GET' && path === 1 && resource === 'ssh-keys') return [200, paginate([], 'ssh_keys', query)]
    if (method === 'GET' && path === 1 && resource === 'account') return [200, { account: state.account }]
    if (resource !== 'instances') throw new ApiError(404, 'Not found.')
    // Vultr documents the 403 and the ACL names; which name each call needs is our reading of them.
    const needed = method === 'GET' ? ['subscriptions_view', 'subscriptions'] : path === 1 ? ['provisioning'] : ['subscriptions']
    if (options.acls && !needed.some((acl) => options.acls!.includes(acl))) throw new ApiError(403, 'You are not allowed to perform that action.')
    if (path === 1 && method === 'GET') return [200, paginate(listInstances(query), 'instances', query)]
    if (path === 1 && method === 'POST') return [202, { instance: createInstance(await readBody()) }]
    if (path === 2 && id === 'halt' && method === 'POST') {
      const ids = (await readBody()).instance_ids
      if (!Array.isArray(ids)) throw new ApiError(400, 'instance_ids must be an array.')
      for (const each of ids) setPower(findInstance(String(each)), 'halt')
      return [204]
    }
    const instance = findInstance(id!)
    if (path === 2 && method === 'GET') {
      if (Date.now() < (visibleAt.get(instance.id) ?? 0)) throw new ApiError(404, 'Invalid instance-id.')
      return [200, { instance }]
    }
    if (path === 2 && method === 'DELETE') {
      state.instances.delete(instance.id)
      return [204]
    }
    if (path === 3 && method === 'POST' && (sub === 'start' || sub === 'halt' || sub === 'reboot')) {
      setPower(instance, sub)
      return [204]
    }
    if (path === 3 && method === 'GET' && sub === 'user-data') return [200, { user_data: { data: userData.get(instance.id) ?? '' } }]
    if (path === 3 && method === 'GET' && sub === 'vpcs') return [200, paginate([], 'vpcs', query)]
    throw new ApiError(404, 'Not found.')
  }

  const gate = (req: IncomingMessage) => {
    const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() ?? ''
    if (overLimit(token)) throw new ApiError(429, 'rate limit exceeded')
    if (token !== options.apiKey) throw new ApiError(401, 'Invalid API token.')
    const address = remoteAddress(req)
    // Vultr API v2 answers a key used from outside its access control list with 401, not 403.
    if (allowed && !allowed.check(address, isIPv6(address) ? 'ipv6' : 'ipv4')) throw new ApiError(401, `Unauthorized IP address: ${address}`)
  }

  return startHttpStandIn({
    port: options.port,
    host: options.host,
    version: 'v2',
    state,
    timers,
    gate,
    route,
    errorBody: (error) => ({ error: error.message, status: error.status }),
    faultError: (status) => new ApiError(status, status === 429 ? 'rate limit exceeded' : status === 500 ? 'Internal server error.' : 'Service unavailable.'),
    notFound: () => new ApiError(404, 'Not found.'),
    internalError: (message) => new ApiError(500, `Internal server error: ${message}`),
  })
}

/** Vultr's access control list: subnets in CIDR notation or bare addresses. */
function subnetList(subnets: string[]): BlockList {
  const list = new BlockList()
  for (const subnet of subnets) {
    const [address = '', prefix] = subnet.split('/')
    const family = isIPv6(address) ? 'ipv6' : 'ipv4'
    list.addSubnet(address, prefix === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefix), family)
  }
  return list
}

/**
 * The Vultr provider's stand-in for the provider conformance suite: this API on loopback,
 * instances ready after 50 ms, and an OS catalogue that answers too slowly to wait for.
 *
 * ```ts
 * describe('providers: vultr', () => testProvider(vultrProvider, vultrStandIn()))
 * ```
 */
export function vultrStandIn(): ProviderStandIn<VultrOptions> {
  const apiKey = 'VKEY-CONFORMANCE-7D41E2B9C05A'
  return {
    async start() {
      const api = await startVultrStandIn({ apiKey, readyAfterMs: 50, powerDelayMs: 20 })
      api.inject({ path: '/v2/os', delayMs: 60_000, count: Number.POSITIVE_INFINITY })
      return { options: { apiKey, baseUrl: api.apiUrl, pollIntervalMs: 20, retryBaseMs: 10, readyTimeoutMs: 10_000 }, stop: api.close }
    },
    succeeds: { action: 'region.list', input: {} },
    fails: { action: 'instance.get', input: { id: 'no-such-instance' }, code: 'HTTP_404' },
    cancellable: { action: 'os.list', input: {} },
    reversible: { action: 'instance.create', input: { region: 'ams', plan: 'vc2-1c-1gb', os_id: 2136, label: 'conformance' } },
    secrets: [apiKey],
  }
}
