import { ProvisioError, type ValidationIssue as EngineIssue } from '@provisio/engine'
import { ApiError, toApiError, type ValidationIssue } from './errors'
import type { ResponseStyle } from './error-styles'

/**
 * The HTTP status of each engine error code. Every surface answers engine errors through this one
 * table, so a job, a workflow or a checkpoint that is missing, busy or refused reads the same
 * everywhere, each in its surface's error shape.
 */
const statusOfCode: Record<string, number> = {
  not_found: 404,
  conflict: 409,
  wrong_state: 409,
  cancelled: 409,
  engine_state: 503,
  data_directory_locked: 503,
}

/** `[provisio] [engine] no job "x"` → `no job "x"`: the tags help a log reader, not an API client. */
function clientMessage(message: string): string {
  return message.replace(/^(\[[\w-]+\]\s*)+/, '')
}

function issueLocation(issue: EngineIssue): (string | number)[] {
  return [
    'body',
    ...issue.path
      .split('.')
      .filter(Boolean)
      .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment)),
  ]
}

/** Matched by name and code as well as by class, so that two copies of the engine agree. */
function isEngineError(error: unknown): error is ProvisioError {
  if (error instanceof ProvisioError) return true
  return (
    error instanceof Error &&
    typeof (error as Partial<ProvisioError>).code === 'string' &&
    /^(Provisio|Validation|NotFound|EngineState|DataDirectoryLocked)Error$/.test(error.name)
  )
}

/**
 * Maps an error the engine threw on purpose to an `ApiError`: bad input to the style's validation
 * status with FastAPI-like issue locations, unknown ids to 404, a busy or finished resource to
 * 409, a stopping engine to 503. Any other engine code is the caller's mistake (400), never a 500.
 */
export function engineErrorToApiError(error: unknown, style?: ResponseStyle): ApiError | undefined {
  if (!isEngineError(error)) return undefined
  const message = clientMessage(error.message)
  if (error.code === 'validation') {
    const issues: ValidationIssue[] = ((error as { issues?: EngineIssue[] }).issues ?? []).map((issue) => ({
      loc: issueLocation(issue),
      msg: issue.message,
      type: 'value_error',
    }))
    return new ApiError(style?.validationStatus.body ?? 422, message, { code: 'validation_failed', issues, cause: error })
  }
  const status = statusOfCode[error.code] ?? 400
  return new ApiError(status, message, { cause: error, headers: status === 503 ? { 'Retry-After': '5' } : {} })
}

/** What a surface answers for anything thrown while serving it: engine errors mapped above, the rest by `toApiError`. */
export function toSurfaceError(error: unknown, style?: ResponseStyle): ApiError {
  return engineErrorToApiError(error, style) ?? toApiError(error)
}
