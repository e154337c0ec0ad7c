import type { H3Event } from 'h3'
import type { Hooks } from 'crossws'
import type { z } from 'zod'
import type { Principal } from '../identity'
import type { ResponseStyle } from './error-styles'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** The rate-limit buckets of 004: `auth` per IP, `general` and `batch` per user (per IP when anonymous). */
export type RateLimitBucket = 'auth' | 'general' | 'batch'

type Output<S> = S extends z.ZodType ? z.output<S> : undefined

/** What a route wants written to the audit log besides what the platform knows (user, status, IP). */
export interface AuditNote {
  userId?: string | null
  username?: string | null
  resource?: string
  details?: Record<string, unknown>
}

export interface RouteContext<P = unknown, Q = unknown, B = unknown> {
  event: H3Event
  params: P
  query: Q
  body: B
  /** Set on authenticated routes; optional routes (`auth: 'optional'`) may leave it unset. */
  principal: Principal | undefined
  /** The raw bearer token of an authenticated request. */
  token: string | undefined
  ip: string
  requestId: string
  /** Response headers added to the answer, success or error. */
  headers: Headers
  audit: AuditNote
}

export interface RouteDefinition<P = any, Q = any, B = any> {
  method: HttpMethod
  /** h3 path, parameters as `:name` (`/users/:id`). */
  path: string
  summary: string
  description?: string
  tags?: string[]
  /** `true` (default: the surface's `auth`): a valid Bearer token is required; `'optional'`: read if sent. */
  auth?: boolean | 'optional'
  /** Permission checked with `identity.can`, in the surface's vocabulary. */
  permission?: string
  /**
   * Resource and action for policy evaluation and the audit log. The resource is a template over
   * the path parameters (`users/:id`); policies see it with `:` separators (`users:42`).
   */
  resource?: string
  action?: string
  /** Default `general`; `false` counts nothing but still reports the general bucket's headers. */
  rateLimit?: RateLimitBucket | false
  params?: P
  query?: Q
  body?: B
  /** Schema of `data` in a success answer (documentation only). */
  response?: z.ZodType
  /** Success status, default 200. */
  status?: number
  /** Audit action; mutating routes are audited by default as `<resource>.<action>`. `false` opts out. */
  audit?: string | false
  /** The handler returns a ready `Response` (documents, static files) that the style must not wrap. */
  raw?: boolean
  handler: (ctx: RouteContext<Output<P>, Output<Q>, Output<B>>) => unknown
}

/** Types a route from its schemas; the platform keeps routes as the erased `RouteDefinition`. */
export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(route: RouteDefinition<P, Q, B>): RouteDefinition {
  return route as RouteDefinition
}

export interface WebSocketRoute {
  path: string
  summary: string
  /** Bearer token (header or `?token=`) required before upgrading; default the surface's `auth`. */
  auth?: boolean
  /** The rate-limit bucket each upgrade counts against: default `general`; `false` counts nothing. */
  rateLimit?: RateLimitBucket | false
  /** The hooks check the surface's own `credential` in its query parameter (documented so; the hooks refuse). */
  credential?: boolean
  /** The status a missing or bad token refuses the handshake with, when the real server's is not 401 (CloudLab's uvicorn answers 403). */
  authRefusalStatus?: number
  hooks: (event: H3Event, principal: Principal | undefined) => Partial<Hooks> | Promise<Partial<Hooks>>
}

/** A surface's own credential (what its `authenticate` checks), as its OpenAPI document names it. */
export interface SurfaceCredential {
  /** The security scheme's name (`localToken`). */
  scheme: string
  /** The header routes take it in (`X-Local-Token`). */
  header: string
  /** The query parameter WebSockets with `credential: true` take it in (`token`). */
  query?: string
  description: string
  /** The status and message of a refusal. */
  refusal: { status: number; description: string }
}

/** The platform's refusals in a surface's own words, where its document fixes them (CloudLab's FastAPI texts). */
export interface SurfaceMessages {
  /** A protected route called without a Bearer token. */
  notAuthenticated?: string
  /** Headers sent with that refusal (`WWW-Authenticate: Bearer`). */
  notAuthenticatedHeaders?: Record<string, string>
  /** The caller lacks the route's permission. */
  permissionDenied?: (permission: string) => string
  /** No route matches the path. */
  notFound?: string
  /** The path exists, the method does not. */
  methodNotAllowed?: string
  /** The body of a 429, where the document gives rate-limit refusals their own shape (CloudLab's `{"error": ...}`). */
  rateLimited?: (message: string) => unknown
}

/** A surface: one API document served on its own port, declared as data and built by `createSurfaceApp`. */
export interface SurfaceDefinition {
  name: string
  title: string
  version: string
  description?: string
  style: ResponseStyle
  /** Whether routes require a Bearer token unless they say otherwise. */
  auth: boolean
  /** Evaluate control-center policies on this surface's routes (orchestrator and control-center). */
  policies: boolean
  routes: RouteDefinition[]
  websockets?: WebSocketRoute[]
  /**
   * The surface's own credential check, in place of Bearer tokens (tartvm's `X-Local-Token`): run
   * first on every route whose `auth` is not `false`; throw an `ApiError` to refuse.
   */
  authenticate?: (event: H3Event) => void | Promise<void>
  /** What `authenticate` reads, for the OpenAPI document (its security scheme and refusal). */
  credential?: SurfaceCredential
  messages?: SurfaceMessages
  /**
   * Answers a GET or HEAD that no route matched (a web UI's files and its client routes) before the
   * 404; `undefined` lets the 404 go out.
   */
  fallback?: (event: H3Event) => Response | undefined | Promise<Response | undefined>
  /** Stops what the surface runs in the background (timers, listeners); the server calls it on close. */
  dispose?: () => void | Promise<void>
}

/** How the server finds a surface: its defaults and the factory that builds its definition. */
export interface SurfaceModule<Deps = unknown> {
  name: string
  defaultPort: number
  /** Host the server binds this surface to unless its own host is configured (tartvm stays on loopback). */
  defaultHost?: string
  create: (deps: Deps) => SurfaceDefinition
}

export type { ResponseStyle }
