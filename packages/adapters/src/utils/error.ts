/**
 * Every error an adapter throws: the message starts with `[provisio] [<provider>]`, and
 * `code` lands in the job record's `error.code`, `details` in its `error.details`.
 */
export class ProviderError extends Error {
  /** The provider that failed: `vultr`, `tart`, … */
  readonly provider: string
  code: string
  /** The exit code of the program that failed, for the command-line adapters. */
  exitCode?: number
  /** What the call produced before failing (ansible's per-host recap). */
  details?: unknown

  constructor(provider: string, message: string, options: { code: string; exitCode?: number; details?: unknown; cause?: unknown }) {
    super(`[provisio] [${provider}] ${message}`, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = this.constructor.name
    this.provider = provider
    this.code = options.code
    if (options.exitCode !== undefined) this.exitCode = options.exitCode
    if (options.details !== undefined) this.details = options.details
  }
}

/** Creates a provider's error, as unstorage's `createError(driver, message)` does for drivers. */
export function createError(
  provider: string,
  message: string,
  options: { code: string; exitCode?: number; details?: unknown; cause?: unknown },
): ProviderError {
  return new ProviderError(provider, message, options)
}

/**
 * A call to a provider's API that failed for good: a 4xx, or a 429/5xx/network
 * failure that outlasted the retries. The message never holds credentials.
 */
export class HttpError extends ProviderError {
  /** HTTP status; 0 when no answer came (connection refused, reset, request timeout). */
  readonly status: number
  /** The provider's own error message, when it sent one. */
  readonly providerMessage?: string
  readonly method: string
  /** Path below the base URL, query string included. */
  readonly path: string

  /** `code`: the provider's own error code (`SERVER_NOT_FOUND`), else `HTTP_<status>` or `NETWORK_ERROR`. */
  constructor(
    provider: string,
    message: string,
    init: { status: number; code: string; providerMessage?: string; method: string; path: string; cause?: unknown },
  ) {
    super(provider, message, { code: init.code, cause: init.cause })
    this.status = init.status
    this.providerMessage = init.providerMessage
    this.method = init.method
    this.path = init.path
  }
}

/** Thrown when a resource does not reach the wanted state in time. */
export class WaitTimeoutError extends ProviderError {
  constructor(provider: string, message: string) {
    super(provider, message, { code: 'WAIT_TIMEOUT' })
  }
}

export function isHttpStatus(error: unknown, status: number): error is HttpError {
  return error instanceof HttpError && error.status === status
}
