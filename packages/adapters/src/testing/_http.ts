import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** A fault the next matching requests meet before (or instead of) normal handling. */
export interface InjectedFault {
  /** Answer with this status and the provider's error body instead of handling the request. */
  status?: 429 | 500 | 502 | 503
  /** How many requests meet it. Default 1. */
  count?: number
  /** Hold each of those requests this long first (a slow API). */
  delayMs?: number
  /** Only requests whose path contains this text; all requests when omitted. */
  path?: string
  /** Sends `Retry-After: <seconds>` with the status. */
  retryAfterSeconds?: number
}

/** One request a stand-in answered, for tests that assert retries and calls. */
export interface StandInRequest {
  method: string
  path: string
  status: number
}

export interface FaultQueue {
  inject: (fault: InjectedFault) => void
  /** The fault the request meets, counted down, or `undefined`. */
  take: (path: string) => InjectedFault | undefined
}

export function createFaultQueue(): FaultQueue {
  const faults: Array<InjectedFault & { remaining: number }> = []
  return {
    inject(fault) {
      faults.push({ ...fault, remaining: fault.count ?? 1 })
    },
    take(path) {
      const index = faults.findIndex((fault) => fault.path === undefined || path.includes(fault.path))
      if (index === -1) return undefined
      const fault = faults[index]!
      fault.remaining -= 1
      if (fault.remaining <= 0) faults.splice(index, 1)
      return fault
    },
  }
}

export function sendJson(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text)
}

/** The request's JSON body: `undefined` when empty, `BAD_JSON` when it does not parse. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8').trim()
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return BAD_JSON
  }
}
export const BAD_JSON = Symbol('bad json')

export interface LoopbackServer {
  /** `http://<host>:<port>` */
  url: string
  close: () => Promise<void>
}

/** Starts a node:http server on loopback; errors thrown by `handler` answer 500. */
export async function listenOnLoopback(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  options: { port?: number; host?: string; onError: (res: ServerResponse, error: unknown) => void },
): Promise<LoopbackServer> {
  const server = createServer((req, res) => {
    handler(req, res).catch((error) => {
      if (!res.headersSent) options.onError(res, error)
      else res.destroy()
    })
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Runs timers that a `close()` clears, so no state change fires after a stand-in stopped. */
export function createTimers() {
  const pending = new Set<NodeJS.Timeout>()
  return {
    after(ms: number, fn: () => void) {
      // Infinity means "never": a timer would overflow and fire at once.
      if (!Number.isFinite(ms)) return
      if (ms <= 0) return fn()
      const timer = setTimeout(() => {
        pending.delete(timer)
        fn()
      }, ms)
      timer.unref()
      pending.add(timer)
    },
    clear() {
      for (const timer of pending) clearTimeout(timer)
      pending.clear()
    },
  }
}

export type Timers = ReturnType<typeof createTimers>

/** An error answer a stand-in route or gate throws; the stand-in renders it in its provider's error body. */
export class StandInApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The provider's error code, for providers that send one (UpCloud). */
    readonly code = '',
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

/** A running cloud API stand-in. */
export interface HttpStandIn<State> {
  /** `http://127.0.0.1:<port>`; the API is below it, under the provider's version path. */
  url: string
  /** `url` + the version path (`/v2` at Vultr, `/1.3` at UpCloud): the `baseUrl` for the adapter. */
  apiUrl: string
  state: State
  inject: (fault: InjectedFault) => void
  close: () => Promise<void>
}

export type StandInRoute = (method: string, segments: string[], query: URLSearchParams, req: IncomingMessage) => Promise<[number, unknown?]>

export interface HttpStandInOptions<State> {
  port?: number
  host?: string
  /** The API's version path segment, as at the provider: `v2`, `1.3`. */
  version: string
  state: State & { requests: StandInRequest[] }
  /** Cleared on `close()`. */
  timers: Timers
  /** The provider's error body for an error answer. */
  errorBody: (error: StandInApiError) => unknown
  /** What an injected fault status answers with. */
  faultError: (status: number) => StandInApiError
  /** The provider's answer to a path outside its API. */
  notFound: () => StandInApiError
  /** The provider's answer to a handler that threw something unexpected. */
  internalError: (message: string) => StandInApiError
  /** Checks auth, limits and access before routing; throws a `StandInApiError` to refuse. */
  gate: (req: IncomingMessage) => void
  /** Answers one admitted API call below the version path. */
  route: StandInRoute
}

/**
 * The request cycle both cloud stand-ins share: injected faults first, then the
 * provider's gate, then its routes, every answer recorded in `state.requests`.
 */
export async function startHttpStandIn<State>(options: HttpStandInOptions<State>): Promise<HttpStandIn<State>> {
  const { state, timers } = options
  const faults = createFaultQueue()
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    const method = req.method ?? 'GET'
    const answer = (status: number, body?: unknown, headers?: Record<string, string>) => {
      state.requests.push({ method, path: url.pathname + url.search, status })
      sendJson(res, status, body, headers)
    }
    const refuse = (error: StandInApiError) => answer(error.status, options.errorBody(error), error.headers)
    const fault = faults.take(url.pathname)
    // Held without keeping the process alive.
    if (fault?.delayMs) await sleep(fault.delayMs, undefined, { ref: false })
    if (fault?.status) {
      const error = options.faultError(fault.status)
      if (fault.retryAfterSeconds !== undefined) error.headers['retry-after'] = String(fault.retryAfterSeconds)
      return refuse(error)
    }
    try {
      options.gate(req)
      const segments = url.pathname.split('/').filter(Boolean)
      if (segments[0] !== options.version) throw options.notFound()
      const [status, body] = await options.route(method, segments.slice(1), url.searchParams, req)
      answer(status, body)
    } catch (error) {
      if (!(error instanceof StandInApiError)) throw error
      refuse(error)
    }
  }
  const server = await listenOnLoopback(handle, {
    port: options.port,
    host: options.host,
    onError: (res, error) => {
      const internal = options.internalError((error as Error).message)
      sendJson(res, internal.status, options.errorBody(internal))
    },
  })
  return {
    url: server.url,
    apiUrl: `${server.url}/${options.version}`,
    state,
    inject: faults.inject,
    async close() {
      timers.clear()
      await server.close()
    },
  }
}

/** The caller's address as the API sees it (IPv4-mapped IPv6 written as plain IPv4). */
export function remoteAddress(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '')
}
