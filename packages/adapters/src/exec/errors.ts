/** Why an exec job failed; `code` lands in the job record's `error.code`. */
export class ExecError extends Error {
  code: 'exit_code' | 'spawn' | 'aborted'
  exitCode?: number
  constructor(message: string, options: { code: ExecError['code']; exitCode?: number; cause?: unknown }) {
    super(`[provisio] [exec] ${message}`, { cause: options.cause })
    this.name = this.constructor.name
    this.code = options.code
    this.exitCode = options.exitCode
  }
}
