import { setTimeout as sleep } from 'node:timers/promises'
import { HttpError } from './error'
import { createRedactor } from './redact'
import type { RateLimiter } from './rate-limiter'

export interface HttpClientOptions {
  /** Names the provider in error messages: `[provisio] [<provider>]`. */
  provider: string
  /** API root without a trailing slash, e.g. `https://api.vultr.com/v2`. */
  baseUrl: string
  /** Sent with every request; the auth header goes here. */
  headers: Record<string, string>
  /** Values hidden from every message and log line (API keys, passwords). */
  secrets: Array<string | undefined>
  /** Reads the provider's own message and code out of an error body. */
  parseError: (body: unknown) => { message?: string; code?: string }
  /** Retries after the first try for 429, 5xx and network failures. Default 5. */
  retries?: number
  /** First retry delay; doubles each retry, with jitter. Default 500 ms. */
  retryBaseMs?: number
  /** Upper bound of a computed retry delay. Default 10 000 ms. */
  maxRetryDelayMs?: number
  /** Upper bound of a server's `Retry-After`. Default 60 000 ms. */
  maxRetryAfterMs?: number
  /** One try's limit; a try that outlasts it counts as a network failure. Default 30 000 ms. */
  requestTimeoutMs?: number
  rateLimiter?: RateLimiter
  /** Aborts in-flight requests and pending retries (the job's signal). */
  signal?: AbortSignal
  /** Receives one line per request and per retry. */
  log?: (line: string) => void
}

export type QueryValue = string | number | boolean | undefined
export interface RequestOptions {
  query?: Record<string, QueryValue>
  /** Sent as JSON. */
  body?: unknown
  /** Log only retries, not the request itself (for repeated polling reads). */
  quiet?: boolean
}

export interface HttpClient {
  /** Resolves with the parsed JSON answer, or `undefined` for an empty one (204). */
  request: <T = unknown>(method: string, path: string, options?: RequestOptions) => Promise<T>
  get: <T = unknown>(path: string, query?: Record<string, QueryValue>) => Promise<T>
  post: <T = unknown>(path: string, body?: unknown) => Promise<T>
  delete: <T = unknown>(path: string, query?: Record<string, QueryValue>) => Promise<T>
}

function withQuery(path: string, query: Record<string, QueryValue> | undefined): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== '') params.set(key, String(value))
  const search = params.toString()
  return search ? `${path}?${search}` : path
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text()
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text.length > 300 ? `${text.slice(0, 300)}…` : text
  }
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500
}

/**
 * A small JSON client over `fetch` for cloud APIs: auth headers, a client-side
 * rate limit, retries with exponential backoff and jitter on 429/5xx/network
 * failures (honouring `Retry-After`), and errors that carry the status and the
 * provider's message but never the credentials.
 *
 * ```ts
 * const api = createHttpClient({ provider: 'vultr', baseUrl, headers: { authorization: `Bearer ${key}` },
 *   secrets: [key], parseError: (b: any) => ({ message: b?.error }), signal: ctx.signal, log: ctx.log })
 * const { instances } = await api.get<{ instances: unknown[] }>('/instances', { per_page: 100 })
 * ```
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const redact = createRedactor({ secrets: options.secrets })
  const retries = options.retries ?? 5
  const retryBaseMs = options.retryBaseMs ?? 500
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 10_000
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000
  const log = (line: string) => options.log?.(redact.text(line))

  const backoffMs = (retry: number) => {
    const ceiling = Math.min(maxRetryDelayMs, retryBaseMs * 2 ** retry)
    // "Equal jitter": half fixed, half random, so parallel clients spread out but still back off.
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2))
  }

  const request = async <T>(method: string, path: string, requestOptions: RequestOptions = {}): Promise<T> => {
    const target = withQuery(path, requestOptions.query)
    const url = `${options.baseUrl}${target}`
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
    if (requestOptions.body !== undefined) headers['content-type'] = 'application/json'
    const body = requestOptions.body === undefined ? undefined : JSON.stringify(requestOptions.body)

    for (let retry = 0; ; retry++) {
      const signal = options.signal
      if (signal?.aborted) throw signal.reason
      await options.rateLimiter?.acquire(signal)
      if (!requestOptions.quiet || retry > 0) log(`${method} ${target}${retry > 0 ? ` (retry ${retry} of ${retries})` : ''}`)

      let response: Response
      const timeout = AbortSignal.timeout(requestTimeoutMs)
      try {
        response = await fetch(url, { method, headers, body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout })
      } catch (error) {
        if (signal?.aborted) throw signal.reason
        const reason = timeout.aborted ? `no answer within ${requestTimeoutMs} ms` : describeNetworkError(error)
        if (retry < retries) {
          const wait = backoffMs(retry)
          log(`${method} ${target}: ${reason}; retrying in ${wait} ms`)
          await sleep(wait, undefined, { signal })
          continue
        }
        throw new HttpError(options.provider, redact.text(`${method} ${target} failed: ${reason}`), { status: 0, code: 'NETWORK_ERROR', method, path: target })
      }

      let parsed: unknown
      try {
        parsed = await readBody(response)
      } catch (error) {
        if (signal?.aborted) throw signal.reason
        throw error
      }
      if (response.ok) return parsed as T

      const { message: providerMessage, code } = parseProviderError(options.parseError, parsed)
      const detail = providerMessage ?? response.statusText
      if (isRetryableStatus(response.status) && retry < retries) {
        const serverWait = retryAfterMs(response.headers.get('retry-after'))
        const wait = serverWait === undefined ? backoffMs(retry) : Math.min(serverWait, maxRetryAfterMs)
        log(`${method} ${target}: ${response.status} ${redact.text(detail)}; retrying in ${wait} ms`)
        await sleep(wait, undefined, { signal })
        continue
      }
      throw new HttpError(options.provider, redact.text(`${method} ${target} failed: ${response.status} ${detail}`), {
        status: response.status,
        code: code ?? `HTTP_${response.status}`,
        providerMessage: providerMessage === undefined ? undefined : redact.text(providerMessage),
        method,
        path: target,
      })
    }
  }

  return {
    request,
    get: (path, query) => request('GET', path, { query }),
    post: (path, body) => request('POST', path, { body }),
    delete: (path, query) => request('DELETE', path, { query }),
  }
}

function parseProviderError(parse: HttpClientOptions['parseError'], body: unknown): { message?: string; code?: string } {
  if (typeof body === 'string') return { message: body }
  try {
    return parse(body)
  } catch {
    return {}
  }
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? error.cause.message : undefined
  return cause ? `${error.message} (${cause})` : error.message
}
