import { createHash } from 'node:crypto'
import type { ActionContext } from '@provisio/engine'
import { createError } from '../utils/error'
import { createHttpClient, type HttpClient, type QueryValue } from '../utils/http'
import { sharedRateLimiter } from '../utils/rate-limiter'
import { createRedactor } from '../utils/redact'
import type { VultrConfig } from './config'
import type { VultrListMeta } from './types'

/** Reads Vultr's `{"error":"...","status":N}` error body. */
function parseVultrError(body: unknown): { message?: string } {
  const error = (body as { error?: unknown } | undefined)?.error
  return { message: typeof error === 'string' && error !== '' ? error : undefined }
}

/** An API client for one job: its signal aborts every call, its log gets a line per call. */
export function vultrApi(config: VultrConfig, job: { signal: AbortSignal; log?: (line: string) => void }): HttpClient {
  const keyId = createHash('sha256').update(`${config.baseUrl}\n${config.apiKey}`).digest('hex').slice(0, 16)
  return createHttpClient({
    provider: 'vultr',
    baseUrl: config.baseUrl,
    headers: { authorization: `Bearer ${config.apiKey}` },
    secrets: [config.apiKey],
    parseError: parseVultrError,
    retries: config.retries,
    retryBaseMs: config.retryBaseMs,
    maxRetryDelayMs: config.maxRetryDelayMs,
    requestTimeoutMs: config.requestTimeoutMs,
    rateLimiter: sharedRateLimiter(`vultr:${keyId}`, config.requestsPerSecond),
    signal: job.signal,
    log: job.log,
  })
}

/** An action's API client and log, both hiding the API key and any secret added to `redact` later. */
export function vultrSession(ctx: ActionContext<VultrConfig>) {
  const redact = createRedactor({ secrets: [ctx.config.apiKey] })
  const log = (line: string) => ctx.log(redact.text(line))
  return { api: vultrApi(ctx.config, { signal: ctx.signal, log }), log, redact }
}

/** Follows `meta.links.next` until it is empty and returns every item under `key`. */
export async function listAll<T>(api: HttpClient, path: string, key: string, perPage: number, query: Record<string, QueryValue> = {}): Promise<T[]> {
  const items: T[] = []
  const seen = new Set<string>()
  let cursor: string | undefined
  do {
    const page = await api.get<Record<string, unknown> & { meta?: VultrListMeta }>(path, { ...query, per_page: perPage, cursor })
    items.push(...((page?.[key] as T[] | undefined) ?? []))
    cursor = page?.meta?.links?.next || undefined
    // A cursor seen twice would loop forever; the API never does that on purpose.
    if (cursor !== undefined) {
      if (seen.has(cursor)) throw createError('vultr', `GET ${path} returned the cursor ${cursor} twice`, { code: 'CURSOR_LOOP' })
      seen.add(cursor)
    }
  } while (cursor)
  return items
}
