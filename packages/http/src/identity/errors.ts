export type AuthErrorCode =
  | 'invalid_credentials'
  | 'mfa_required'
  | 'mfa_invalid'
  | 'locked'
  | 'disabled'
  | 'invalid_token'
  | 'expired'
  | 'revoked'
  | 'reused'
  | 'step_up_required'
  | 'step_up_failed'

/** A login or token was refused. `status` is the HTTP status a surface should answer. */
export class AuthError extends Error {
  readonly code: AuthErrorCode
  readonly status: 401 | 403 | 423 | 429
  /** For `locked`: seconds until the account can try again. */
  readonly retryAfterSeconds?: number

  constructor(code: AuthErrorCode, message: string, options: { status?: 401 | 403 | 423 | 429; retryAfterSeconds?: number } = {}) {
    super(message)
    this.name = this.constructor.name
    this.code = code
    this.status = options.status ?? 401
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds
  }
}

export type IdentityErrorCode = 'conflict' | 'not_found' | 'invalid' | 'last_admin'

const defaultStatus: Record<IdentityErrorCode, 400 | 404 | 409 | 422> = {
  conflict: 409,
  not_found: 404,
  invalid: 422,
  last_admin: 409,
}

/** A user or role operation was refused; the message is safe to show to the caller. */
export class IdentityError extends Error {
  readonly code: IdentityErrorCode
  readonly status: 400 | 404 | 409 | 422

  constructor(code: IdentityErrorCode, message: string, status?: 400 | 404 | 409 | 422) {
    super(message)
    this.name = this.constructor.name
    this.code = code
    this.status = status ?? defaultStatus[code]
  }
}
