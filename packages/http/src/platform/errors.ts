/** Machine-readable error codes shared by every surface; each error style renders them its own way. */
export type ApiErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'not_acceptable'
  | 'conflict'
  | 'payload_too_large'
  | 'locked'
  | 'rate_limited'
  | 'internal_error'

/** One problem found while validating a request, located like FastAPI does (`['body', 'username']`). */
export interface ValidationIssue {
  loc: (string | number)[]
  msg: string
  type: string
}

export interface ApiErrorOptions {
  code?: ApiErrorCode
  issues?: ValidationIssue[]
  headers?: Record<string, string>
  cause?: unknown
}

const defaultCodes: Record<number, ApiErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  422: 'validation_failed',
  423: 'locked',
  429: 'rate_limited',
}

/** The one error type the platform renders; anything else thrown by a route becomes one (see `toApiError`). */
export class ApiError extends Error {
  readonly status: number
  readonly code: ApiErrorCode
  readonly issues?: ValidationIssue[]
  readonly headers: Record<string, string>

  constructor(status: number, message: string, options: ApiErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = this.constructor.name
    this.status = status
    this.code = options.code ?? defaultCodes[status] ?? (status >= 500 ? 'internal_error' : 'bad_request')
    this.issues = options.issues
    this.headers = options.headers ?? {}
  }
}

interface StatusError {
  name: string
  status: number
  message: string
  retryAfterSeconds?: number
}

/**
 * Errors of the identity, policy, audit and h3 layers all carry a `status`; they are expected
 * failures, shown as they are. Matched by name, as h3 does, so that two copies of a module agree.
 */
const knownErrorNames = new Set(['AuthError', 'IdentityError', 'PolicyError', 'AuditError', 'HTTPError', 'H3Error'])

function isStatusError(error: unknown): error is StatusError {
  if (!(error instanceof Error)) return false
  const status = (error as Partial<StatusError>).status
  return knownErrorNames.has(error.name) && typeof status === 'number' && status >= 400 && status < 600
}

/** Maps anything thrown while serving a request to an `ApiError`; unknown errors become an opaque 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  // h3 wraps what a handler's promise rejects with (WebSocket upgrades): the original keeps its headers.
  if (error instanceof Error && error.cause instanceof ApiError) return error.cause
  if (isStatusError(error)) {
    const headers: Record<string, string> = {}
    if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)))
    // h3's own errors (unhandled 500s) hide their message; keep that.
    const message = error.status >= 500 ? 'Internal server error' : error.message || 'Request failed'
    return new ApiError(error.status, message, { headers, cause: error })
  }
  return new ApiError(500, 'Internal server error', { cause: error })
}

/** `value`, or a 404 saying which `what` (`task "42"`) does not exist. */
export async function found<T>(value: Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const resolved = await value
  if (resolved === undefined || resolved === null) throw new ApiError(404, `No ${what}`)
  return resolved
}
