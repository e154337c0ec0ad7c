import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

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

/** Holds a request (an injected slow answer) without keeping the process alive. */
export function holdFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
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
