import { execFile } from 'node:child_process'
import { ApiError } from '../../platform/errors'

export interface TartOutput {
  stdout: string
  stderr: string
  exitCode: number
}

/** Read-only tart commands the surface runs itself (inventory, config, version): they are not jobs. */
export interface TartCli {
  binary: string
  run: (args: string[], timeoutMs: number) => Promise<TartOutput>
}

export function tartNotInstalled(binary: string): ApiError {
  return new ApiError(503, `Tart is not installed: "${binary}" was not found. Tart runs on macOS (brew install cirruslabs/cli/tart).`)
}

/**
 * Runs `binary` with an argument vector (OCI names with `/` and `:` pass untouched). A non-zero
 * exit is an answer, not an error; a missing binary is `503 Tart is not installed`.
 */
export function tartCli(binary: string): TartCli {
  return {
    binary,
    run: (args, timeoutMs) =>
      new Promise((resolve, reject) => {
        execFile(binary, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
          const code = (error as NodeJS.ErrnoException | null)?.code
          if (code === 'ENOENT' || code === 'EACCES') return reject(tartNotInstalled(binary))
          if (error && typeof code !== 'number' && !error.killed) return reject(error)
          resolve({ stdout, stderr, exitCode: error ? (typeof code === 'number' ? code : 124) : 0 })
        })
      }),
  }
}
