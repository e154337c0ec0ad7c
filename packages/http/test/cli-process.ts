import { spawn, type ChildProcess } from 'node:child_process'
import { join, resolve } from 'node:path'
import { tsProcessArgs } from '../../../test/helpers/ts-process'

export const root = resolve(import.meta.dirname, '../../..')
const cli = join(root, 'packages/http/src/cli.ts')

/** The environment of a user's shell (not CI, no cloud credentials, no tart on the PATH), plus what a test adds. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const key of Object.keys(env)) if (/^(PROVISIO_|VULTR_|UPCLOUD_|VITEST|TEST$|NODE_ENV$|CI$)/.test(key)) delete env[key]
  return { ...env, PATH: '/usr/bin:/bin', NO_COLOR: '1', ...extra }
}

/** A `provisio` child process from the sources, with everything it printed (stdout and stderr, interleaved). */
export interface CliRun {
  child: ChildProcess
  output: () => string
  stdout: () => string
  stderr: () => string
  exited: Promise<number | null>
}

export function startCli(args: string[], options: { env?: Record<string, string>; cwd?: string; stdin?: string } = {}): CliRun {
  const child = spawn(process.execPath, [...tsProcessArgs(cli), ...args], {
    cwd: options.cwd ?? root,
    env: cleanEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => {
    output += chunk
    stdout += chunk
  })
  child.stderr!.on('data', (chunk) => {
    output += chunk
    stderr += chunk
  })
  child.stdin!.end(options.stdin ?? '')
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)))
  return { child, output: () => output, stdout: () => stdout, stderr: () => stderr, exited }
}

/** Runs `provisio` to its end. */
export async function runCli(
  args: string[],
  options: Parameters<typeof startCli>[1] = {},
): Promise<{ code: number | null; output: string; stdout: string; stderr: string }> {
  const run = startCli(args, options)
  const code = await run.exited
  return { code, output: run.output(), stdout: run.stdout(), stderr: run.stderr() }
}

/** Waits until the process printed `pattern`; throws with everything it printed when it exits or time runs out first. */
export async function waitForOutput(run: CliRun, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const match = run.output().match(pattern)
    if (match) return match
    if (run.child.exitCode !== null) break
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`did not see ${pattern} in:\n${run.output()}`)
}

/** The exit code, within `timeoutMs`; past it the process is killed and the error shows what it printed. */
export async function exitedWithin(run: CliRun, timeoutMs = 30_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.child.kill('SIGKILL')
      reject(new Error(`still running after ${timeoutMs} ms; it printed:\n${run.output()}`))
    }, timeoutMs)
  })
  try {
    return await Promise.race([run.exited, late])
  } finally {
    clearTimeout(timer)
  }
}
