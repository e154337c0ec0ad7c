export type TartErrorCode = 'not_found' | 'timeout' | 'aborted' | 'command_failed' | 'not_installed' | 'no_ip'

/** Why a tart job failed; `code` lands in the job record's `error.code`. */
export class TartError extends Error {
  code: TartErrorCode
  exitCode?: number
  constructor(message: string, options: { code: TartErrorCode; exitCode?: number; cause?: unknown }) {
    super(`[provisio] [tart] ${message}`, { cause: options.cause })
    this.name = this.constructor.name
    this.code = options.code
    this.exitCode = options.exitCode
  }
}
