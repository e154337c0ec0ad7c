/**
 * A call to a provider's API that failed for good: a 4xx, or a 429/5xx/network
 * failure that outlasted the retries. The message never holds credentials.
 */
export class HttpError extends Error {
  /** HTTP status; 0 when no answer came (connection refused, reset, request timeout). */
  readonly status: number
  /** The provider's own error code (`SERVER_NOT_FOUND`), else `HTTP_<status>` or `NETWORK_ERROR`. */
  readonly code: string
  /** The provider's own error message, when it sent one. */
  readonly providerMessage?: string
  readonly method: string
  /** Path below the base URL, query string included. */
  readonly path: string

  constructor(init: { message: string; status: number; code: string; providerMessage?: string; method: string; path: string; cause?: unknown }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause })
    this.name = this.constructor.name
    this.status = init.status
    this.code = init.code
    this.providerMessage = init.providerMessage
    this.method = init.method
    this.path = init.path
  }
}

/** Thrown when a resource does not reach the wanted state in time. */
export class WaitTimeoutError extends Error {
  readonly code = 'WAIT_TIMEOUT'
  constructor(message: string) {
    super(message)
    this.name = this.constructor.name
  }
}

export function isHttpStatus(error: unknown, status: number): error is HttpError {
  return error instanceof HttpError && error.status === status
}
