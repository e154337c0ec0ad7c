import { STATUS_CODES } from 'node:http'
import type { Hooks, Peer } from 'crossws'
import { H3, defineWebSocketHandler, getRequestIP, getRouterParams, type H3Event } from 'h3'
import type { AuditLog, RefusalSampler } from '../audit'
import type { HttpMetrics } from './http-metrics'
import type { Identity, Principal } from '../identity'
import type { PolicyStore } from '../policies'
import { recordAudit } from '../middleware/audit'
import { authenticate, bearerToken } from '../middleware/authenticate'
import { authorize } from '../middleware/authorize'
import { createClientIpResolver, type ClientIpResolver, type TrustProxy } from '../middleware/client-ip'
import { applyCors, type CorsConfig } from '../middleware/cors'
import { setRateLimitHeaders, type RateLimits } from '../middleware/rate-limit'
import { resolveRequestId } from '../middleware/request-id'
import { setSecurityHeaders } from '../middleware/security-headers'
import { readJsonBody, readQuery, validateInput } from '../middleware/validate'
import { checkApiVersion } from '../middleware/versioning'
import { documentationRoutes } from '../openapi/routes'
import { toSurfaceError } from './engine-errors'
import { ApiError } from './errors'
import type { AuditNote, RouteContext, RouteDefinition, SurfaceDefinition } from './types'

/** What every surface of a server shares. */
export interface PlatformServices {
  identity: Identity
  /** Control-center policies, evaluated on surfaces with `policies: true`. */
  policies?: PolicyStore
  audit?: AuditLog
  /** Thins out repeated 401/429 audit entries per client; every refusal is written when absent. */
  refusals?: RefusalSampler
  rateLimits: RateLimits
  cors?: CorsConfig
  /** Counts and times every answered request. */
  metrics?: HttpMetrics
  /** Open WebSocket connections of every surface, so that a closing server can say goodbye to them. */
  peers?: Set<Peer>
  /** Which forwarding headers to believe for the client address (rate limits, audit, policies); none by default. */
  trustProxy?: TrustProxy
  /** Where unexpected (500) errors are reported; `console.error` by default. */
  onUnexpectedError?: (error: unknown, event: H3Event) => void
}

/** Per-request values the global middleware sets and every answer (success or error) carries. */
interface RequestState {
  requestId: string
  ip: string
  /** h3's staged response headers: whatever a step sets here goes out with the answer. */
  headers: Headers
}

const mutatingMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

function requestState(event: H3Event, clientIp: ClientIpResolver): RequestState {
  let state = event.context.provisio as RequestState | undefined
  if (!state) {
    const requestId = resolveRequestId(event)
    state = { requestId, ip: clientIp(getRequestIP(event) ?? 'unknown', event.req.headers), headers: event.res.headers }
    state.headers.set('X-Request-Id', requestId)
    setSecurityHeaders(state.headers)
    event.context.provisio = state
  }
  return state
}

function isPlainJson(body: object): boolean {
  const prototype = Object.getPrototypeOf(body)
  return prototype === Object.prototype || prototype === null || Array.isArray(body)
}

/**
 * Hands a JSON body to h3 with its status, serialised here with its type among the staged headers:
 * h3 then sends those headers as they are, where for an object it would copy them into new ones.
 * Anything else an object can be (a stream, a `Response`) goes to h3 untouched.
 */
function answer(event: H3Event, status: number, body: unknown): unknown {
  event.res.status = status
  event.res.statusText = STATUS_CODES[status] ?? ''
  if (typeof body === 'object' && body !== null && !isPlainJson(body)) return body
  event.res.headers.set('Content-Type', 'application/json;charset=UTF-8')
  // API answers hold tokens and account data: never kept by a browser or a shared cache.
  event.res.headers.set('Cache-Control', 'no-store')
  return JSON.stringify(body ?? null)
}

/** Adds each peer the hooks open to `peers` (and takes it out when it closes), keeping the route's own hooks. */
function trackPeers(hooks: Partial<Hooks>, peers: Set<Peer> | undefined): Partial<Hooks> {
  if (!peers) return hooks
  return {
    ...hooks,
    open: (peer) => {
      peers.add(peer)
      return hooks.open?.(peer)
    },
    close: (peer, details) => {
      peers.delete(peer)
      return hooks.close?.(peer, details)
    },
  }
}

/**
 * Refusals anyone can cause without an account (401, 429) are sampled per client, action and
 * username, so a flood cannot fill the disk; every other answer is always written.
 */
function sampledRefusal(sampler: RefusalSampler | undefined, status: number, key: string): { record: boolean; suppressed: number } {
  if (!sampler || (status !== 401 && status !== 429)) return { record: true, suppressed: 0 }
  return sampler.admit(key)
}

/** A `Response` built without a reason phrase (`new Response(body)`) gets the standard one for its status. */
function withReasonPhrase(value: unknown): unknown {
  if (!(value instanceof Response) || value.statusText) return value
  return new Response(value.body, { status: value.status, statusText: STATUS_CODES[value.status] ?? '', headers: value.headers })
}

/** Compiles a template such as `users/:id` once into a function filling it from the path parameters. */
function compileTemplate(template: string): (params: Record<string, string>) => string {
  if (!template.includes(':')) return () => template
  return (params) => template.replace(/:(\w+)/g, (_, name: string) => params[name] ?? `:${name}`)
}

/** The methods declared for a path, for 405 answers' `Allow` header. */
function allowedMethods(routes: RouteDefinition[], path: string): string[] {
  return routes.filter((route) => route.path === path).map((route) => route.method)
}

/**
 * Builds the h3 app of a surface: global middleware (request id, CORS, versioning), then for each
 * route authentication → rate limit → authorization (permission, policies) → validation → handler →
 * response style → audit, and 404/405 fallbacks in the surface's error shape.
 */
export function createSurfaceApp(surface: SurfaceDefinition, services: PlatformServices): H3 {
  const routes = [...surface.routes, ...documentationRoutes(surface)]
  const clientIp = createClientIpResolver(services.trustProxy)
  const stateOf = (event: H3Event) => requestState(event, clientIp)
  const reportUnexpected = services.onUnexpectedError ?? ((error: unknown) => console.error('[provisio] [http]', error))

  async function renderError(event: H3Event, thrown: unknown): Promise<unknown> {
    const state = stateOf(event)
    const error = toSurfaceError(thrown, surface.style)
    if (error.status >= 500) reportUnexpected(error.cause ?? error, event)
    for (const [name, value] of Object.entries(error.headers)) state.headers.set(name, value)
    if (!state.headers.has('X-RateLimit-Limit')) {
      // Requests that never reached a route (unknown paths, refused versions) still report the caller's budget.
      setRateLimitHeaders(state.headers, await services.rateLimits.peek('general', `ip:${state.ip}`))
    }
    const rateLimited = error.status === 429 ? surface.messages?.rateLimited : undefined
    return answer(event, error.status, rateLimited ? rateLimited(error.message) : surface.style.error(error))
  }

  function routeHandler(route: RouteDefinition) {
    const authMode = route.auth ?? surface.auth
    const bucket = route.rateLimit ?? 'general'
    const audited = route.audit !== false && (route.audit !== undefined || mutatingMethods.has(route.method))
    const auditAction =
      typeof route.audit === 'string' ? route.audit : `${route.resource?.split('/')[0] ?? surface.name}.${route.action ?? route.method.toLowerCase()}`
    const resourceOf = route.resource === undefined ? undefined : compileTemplate(route.resource)
    const observe = services.metrics?.forRoute(surface.name, route.method, route.path)

    return async (event: H3Event): Promise<unknown> => {
      const started = performance.now()
      const state = stateOf(event)
      const rawParams = (getRouterParams(event, { decode: true }) ?? {}) as Record<string, string>
      const resource = resourceOf?.(rawParams)
      const note: AuditNote = {}
      let principal: Principal | undefined
      let result: unknown
      try {
        if (surface.authenticate && route.auth !== false) await surface.authenticate(event)
        const token = authMode ? bearerToken(event) : undefined
        const auth = authMode ? await authenticate(services.identity, token, surface.messages) : {}
        principal = auth.principal
        const key = bucket !== 'auth' && principal ? `user:${principal.userId}` : `ip:${state.ip}`
        const budget = bucket === false ? await services.rateLimits.peek('general', key) : await services.rateLimits.consume(bucket, key)
        setRateLimitHeaders(state.headers, budget)
        if (auth.error) throw auth.error

        if (principal) {
          await authorize({
            identity: services.identity,
            policies: surface.policies ? services.policies : undefined,
            principal,
            permission: route.permission,
            resource,
            action: route.action,
            context: { ip: state.ip, method: route.method, path: event.url.pathname },
            permissionDenied: surface.messages?.permissionDenied,
          })
        }

        const ctx: RouteContext = {
          event,
          params: route.params ? validateInput(route.params, rawParams, 'params', surface.style) : undefined,
          query: route.query ? validateInput(route.query, readQuery(event), 'query', surface.style) : undefined,
          body: route.body ? validateInput(route.body, await readJsonBody(event), 'body', surface.style) : undefined,
          principal,
          token,
          ip: state.ip,
          requestId: state.requestId,
          headers: state.headers,
          audit: note,
        }
        const data = await route.handler(ctx)
        // Raw answers (documents, files) get the staged headers merged in by h3.
        result = route.raw ? withReasonPhrase(data) : answer(event, route.status ?? 200, surface.style.success(data))
      } catch (error) {
        result = await renderError(event, error)
      }
      if (audited && services.audit) {
        const status = result instanceof Response ? result.status : (event.res.status ?? 200)
        const username = principal?.username ?? note.username ?? null
        const sample = sampledRefusal(services.refusals, status, `${state.ip}|${status}|${auditAction}|${username ?? ''}`)
        if (sample.record) {
          await recordAudit(
            services.audit,
            {
              action: auditAction,
              resource: note.resource ?? resource ?? event.url.pathname,
              status,
              userId: principal?.userId ?? note.userId ?? null,
              username,
              ip: state.ip,
              requestId: state.requestId,
              surface: surface.name,
              details: { method: route.method, path: event.url.pathname, ...note.details, ...(sample.suppressed > 0 ? { suppressed: sample.suppressed } : {}) },
            },
            (error) => reportUnexpected(error, event),
          )
        }
      }
      observe?.(result instanceof Response ? result.status : (event.res.status ?? 200), (performance.now() - started) / 1000)
      return result
    }
  }

  const app = new H3({
    silent: true,
    onError: (error, event) => renderError(event, error),
  })

  /**
   * What every request goes through first (request state, CORS preflight, API version), run by
   * each handler itself: every path ends in one (a route, a WebSocket, a 405 or the 404), and h3's
   * middleware chain would cost a promise chain per request for the same thing.
   */
  const withGlobalSteps =
    (handler: (event: H3Event) => unknown) =>
    (event: H3Event): unknown => {
      stateOf(event)
      const preflight = applyCors(event, services.cors)
      if (preflight) return preflight
      checkApiVersion(event)
      return handler(event)
    }

  for (const route of routes) {
    const handler = withGlobalSteps(routeHandler(route))
    app.on(route.method, route.path, handler)
    if (route.method === 'GET') app.on('HEAD', route.path, handler)
  }

  for (const socket of surface.websockets ?? []) {
    const requireAuth = socket.auth ?? surface.auth
    const bucket = socket.rateLimit ?? 'general'
    const upgrade = defineWebSocketHandler(async (event) => {
      const auth = requireAuth
        ? await authenticate(services.identity, bearerToken(event) ?? event.url.searchParams.get('token') ?? undefined, surface.messages)
        : {}
      const principal = auth.principal
      // An upgrade is a request like any other: it spends the caller's budget, and a refusal says why (429).
      const key = principal ? `user:${principal.userId}` : `ip:${stateOf(event).ip}`
      setRateLimitHeaders(
        stateOf(event).headers,
        bucket === false ? await services.rateLimits.peek('general', key) : await services.rateLimits.consume(bucket, key),
      )
      if (auth.error) throw socket.authRefusalStatus ? new ApiError(socket.authRefusalStatus, toSurfaceError(auth.error).message) : auth.error
      return trackPeers(await socket.hooks(event, principal), services.peers)
    })
    // A plain request to a WebSocket route gets its 426 in the surface's error shape.
    app.get(
      socket.path,
      withGlobalSteps((event) => {
        if (event.req.headers.get('upgrade')?.toLowerCase() !== 'websocket')
          throw new ApiError(426, `${socket.path} is a WebSocket: connect with an Upgrade: websocket request`, { headers: { Upgrade: 'websocket' } })
        return upgrade(event)
      }),
    )
  }

  for (const path of new Set(routes.map((route) => route.path))) {
    const methods = allowedMethods(routes, path)
    const allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', ')
    app.all(
      path,
      withGlobalSteps((event) => {
        stateOf(event).headers.set('Allow', allow)
        throw new ApiError(405, surface.messages?.methodNotAllowed ?? `Method ${event.req.method} is not allowed on ${path}; allowed: ${allow}`)
      }),
    )
  }
  app.all(
    '/**',
    withGlobalSteps(async (event) => {
      const method = event.req.method
      const page = surface.fallback && (method === 'GET' || method === 'HEAD') ? await surface.fallback(event) : undefined
      if (page) return withReasonPhrase(page)
      throw new ApiError(404, surface.messages?.notFound ?? `No route matches ${method} ${event.url.pathname}`)
    }),
  )

  return app
}
