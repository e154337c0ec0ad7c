import type { ActionContext } from '@provisio/engine'
import { createHttpClient, type HttpClient } from '../utils/http'
import { createRedactor } from '../utils/redact'
import type { UpCloudConfig } from './config'

/** Reads UpCloud's `{"error":{"error_code":"...","error_message":"..."}}` error body. */
function parseUpCloudError(body: unknown): { message?: string; code?: string } {
  const error = (body as { error?: { error_code?: unknown; error_message?: unknown } } | undefined)?.error
  return {
    message: typeof error?.error_message === 'string' ? error.error_message : undefined,
    code: typeof error?.error_code === 'string' ? error.error_code : undefined,
  }
}

export function authorizationHeader(config: UpCloudConfig): string {
  if (config.token) return `Bearer ${config.token}`
  return `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}`
}

/** The credentials in every form they could be printed in, for redaction. */
export function upcloudSecrets(config: UpCloudConfig): Array<string | undefined> {
  return [config.token, config.password, authorizationHeader(config).replace(/^\w+ /, '')]
}

/** An API client for one job: its signal aborts every call, its log gets a line per call. */
export function upcloudApi(config: UpCloudConfig, job: { signal: AbortSignal; log?: (line: string) => void }): HttpClient {
  return createHttpClient({
    provider: 'upcloud',
    baseUrl: config.baseUrl,
    headers: { authorization: authorizationHeader(config) },
    secrets: upcloudSecrets(config),
    parseError: parseUpCloudError,
    retries: config.retries,
    retryBaseMs: config.retryBaseMs,
    maxRetryDelayMs: config.maxRetryDelayMs,
    requestTimeoutMs: config.requestTimeoutMs,
    signal: job.signal,
    log: job.log,
  })
}

/** An action's API client and log, both hiding the credentials and any secret added to `redact` later. */
export function upcloudSession(ctx: ActionContext<UpCloudConfig>) {
  const redact = createRedactor({ secrets: upcloudSecrets(ctx.config) })
  const log = (line: string) => ctx.log(redact.text(line))
  return { api: upcloudApi(ctx.config, { signal: ctx.signal, log }), log, redact }
}
