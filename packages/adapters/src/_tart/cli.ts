import { createError } from '../utils/error'
import { findExecutable, runProcess } from '../utils/process'

/** The `code` of a failed tart job's error. */
export type TartErrorCode = 'not_found' | 'timeout' | 'aborted' | 'command_failed' | 'not_installed' | 'no_ip'

export interface TartCommandOptions {
  binary: string
  signal: AbortSignal
  timeoutMs: number
  /** Every stdout line as it arrives (pull progress). */
  onLine?: (line: string) => void
  /** Every stderr line as it arrives; tart writes its errors there. */
  onStderrLine?: (line: string) => void
}

export interface TartCommandResult {
  /** What tart wrote to stdout. */
  lines: string[]
  /** What tart wrote to stderr. */
  stderr: string[]
  exitCode: number
}

const missingVm = /the specified VM "(.*)" does not exist/

/**
 * Runs one tart command with an argument vector (never a shell line, so OCI
 * names with `/` and `:` pass untouched) and turns its exit into an error.
 */
export async function runTart(args: string[], options: TartCommandOptions): Promise<TartCommandResult> {
  const binary = findExecutable(options.binary, { path: process.env.PATH })
  if (!binary) {
    throw createError('tart', `${options.binary} not found: tart runs on macOS (brew install cirruslabs/cli/tart); set the adapter's \`binary\``, {
      code: 'not_installed',
    })
  }
  const lines: string[] = []
  const stderr: string[] = []
  const result = await runProcess({
    file: binary,
    args,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    onLine: (line) => {
      lines.push(line)
      options.onLine?.(line)
    },
    onStderrLine: (line) => {
      stderr.push(line)
      options.onStderrLine?.(line)
    },
  })
  const command = `tart ${args[0]}`
  if (result.timedOut) throw createError('tart', `${command} timed out after ${options.timeoutMs} ms`, { code: 'timeout', exitCode: result.exitCode })
  if (result.aborted) throw createError('tart', `${command} stopped: the job was cancelled`, { code: 'aborted', exitCode: result.exitCode })
  if (result.exitCode !== 0) {
    const output = [...stderr, ...lines]
    const notFound = missingVm.exec(output.join('\n'))
    if (notFound) throw createError('tart', `the specified VM "${notFound[1]}" does not exist`, { code: 'not_found', exitCode: result.exitCode })
    // tart explains a failure in its last stderr line; older commands print it to stdout.
    const reason = (stderr.some((line) => line.trim()) ? stderr : lines).filter((line) => line.trim()).at(-1) ?? 'no output'
    throw createError('tart', `${command} failed with exit code ${result.exitCode}: ${reason}`, { code: 'command_failed', exitCode: result.exitCode })
  }
  return { lines, stderr, exitCode: result.exitCode }
}

/** Parses the JSON a `--format json` command printed. */
export function parseJsonOutput<T>(result: TartCommandResult, command: string): T {
  try {
    return JSON.parse(result.lines.join('\n')) as T
  } catch (cause) {
    throw createError('tart', `${command} printed something other than JSON`, { code: 'command_failed', cause })
  }
}
