import { findExecutable, runProcess } from '../utils/process'
import { TartError } from './errors'

export interface TartCommandOptions {
  binary: string
  signal: AbortSignal
  timeoutMs: number
  /** Every output line as it arrives (pull progress). */
  onLine?: (line: string) => void
}

export interface TartCommandResult {
  lines: string[]
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
    throw new TartError(`${options.binary} not found: tart runs on macOS (brew install cirruslabs/cli/tart); set the adapter's \`binary\``, {
      code: 'not_installed',
    })
  }
  const lines: string[] = []
  const result = await runProcess({
    file: binary,
    args,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    onLine: (line) => {
      lines.push(line)
      options.onLine?.(line)
    },
  })
  const command = `tart ${args[0]}`
  if (result.timedOut) throw new TartError(`${command} timed out after ${options.timeoutMs} ms`, { code: 'timeout', exitCode: result.exitCode })
  if (result.aborted) throw new TartError(`${command} stopped: the job was cancelled`, { code: 'aborted', exitCode: result.exitCode })
  if (result.exitCode !== 0) {
    const output = lines.join('\n')
    const notFound = missingVm.exec(output)
    if (notFound) throw new TartError(`the specified VM "${notFound[1]}" does not exist`, { code: 'not_found', exitCode: result.exitCode })
    const reason = lines.filter((line) => line.trim()).at(-1) ?? 'no output'
    throw new TartError(`${command} failed with exit code ${result.exitCode}: ${reason}`, { code: 'command_failed', exitCode: result.exitCode })
  }
  return { lines, exitCode: result.exitCode }
}

/** Parses the JSON a `--format json` command printed. */
export function parseJsonOutput<T>(result: TartCommandResult, command: string): T {
  try {
    return JSON.parse(result.lines.join('\n')) as T
  } catch (cause) {
    throw new TartError(`${command} printed something other than JSON`, { code: 'command_failed', cause })
  }
}
