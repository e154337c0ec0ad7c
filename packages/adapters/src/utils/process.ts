import { spawn } from 'node:child_process'
import { accessSync, closeSync, constants as fsConstants, openSync, readFileSync, statSync } from 'node:fs'
import { constants } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { execa } from 'execa'

export interface RunProcessOptions {
  file: string
  args?: readonly string[]
  cwd?: string
  /** Added to (or, with `extendEnv: false`, replacing) the current environment. */
  env?: Record<string, string | undefined>
  extendEnv?: boolean
  /** Aborting it stops the whole process group. */
  signal?: AbortSignal
  /** Stops the process group after this long; the result says `timedOut`. */
  timeoutMs?: number
  /**
   * Each line of stdout and stderr, merged in the order they arrive, without its line break.
   * `\n`, `\r\n` and a lone `\r` (progress bars redraw with it) each end a line.
   */
  onLine?: (line: string) => void
  /** When set, stderr gets a pipe of its own and its lines come here instead of merged into `onLine`. */
  onStderrLine?: (line: string) => void
  /** First signal sent to the group on abort or timeout; ansible wants SIGINT. Default SIGTERM. */
  stopSignal?: NodeJS.Signals
  /** How long the group gets to exit after `stopSignal` before SIGKILL. Default 1 000 ms. */
  graceMs?: number
}

export interface ProcessResult {
  /** The exit code; 128 + signal number when a signal ended it (as a shell reports it). */
  exitCode: number
  /** The signal that ended it, if any. */
  signal?: string
  pid?: number
  durationMs: number
  /** Stopped because `signal` was aborted. */
  aborted: boolean
  /** Stopped because `timeoutMs` passed. */
  timedOut: boolean
  /** Set when the file could not be started at all (ENOENT, EACCES). */
  spawnError?: NodeJS.ErrnoException
}

/** The path `file` resolves to through `PATH` (or relative to `cwd` when it has a slash), if it is an executable file. */
export function findExecutable(file: string, options: { cwd?: string; path?: string } = {}): string | undefined {
  const candidates = file.includes('/')
    ? [resolve(options.cwd ?? process.cwd(), file)]
    : (options.path ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, file))
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, fsConstants.X_OK)
      return statSync(candidate).isFile()
    } catch {
      return false
    }
  })
}

/** Signals a whole process group; a group already gone is not an error. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
}

/**
 * Whether a process still runs. A zombie counts as dead: an orphan waits to be
 * reaped by init, which in a container may take a while or never happen.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    // The state letter follows the command name in parentheses, which may itself hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    // Gone between the two calls on Linux; no /proc at all on macOS, where signal 0 is the best answer.
    return process.platform !== 'linux'
  }
}

/**
 * Runs a program in its own process group, streaming merged output line by line.
 * Never rejects for a failed program: the caller decides what an exit code means.
 * Stopping signals the group (not just the leader), so children of a shell
 * script or of ansible-playbook die with it: `stopSignal` first, SIGKILL after
 * `graceMs`, and SIGKILL for whatever is left once the leader has exited.
 */
export async function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  const startedAt = performance.now()
  const stopSignal = options.stopSignal ?? 'SIGTERM'
  const graceMs = options.graceMs ?? 1000
  let stopReason: 'aborted' | 'timedOut' | undefined
  let killTimer: NodeJS.Timeout | undefined
  let timeoutTimer: NodeJS.Timeout | undefined

  if (options.signal?.aborted) {
    return { exitCode: 130, durationMs: 0, aborted: true, timedOut: false }
  }

  const env = { ...(options.extendEnv === false ? {} : process.env), ...options.env }
  const executable = findExecutable(options.file, { cwd: options.cwd, path: env.PATH })
  if (!executable) {
    const spawnError: NodeJS.ErrnoException = Object.assign(new Error(`${options.file}: not found or not executable`), { code: 'ENOENT' })
    return { exitCode: 127, durationMs: 0, aborted: false, timedOut: false, spawnError }
  }

  // Merged, one pipe for both streams, so lines keep the order the program wrote them in:
  // `sh` points stderr at stdout, then replaces itself with the program (same pid).
  const separate = options.onStderrLine !== undefined
  const child = execa('/bin/sh', ['-c', separate ? 'exec "$@"' : 'exec "$@" 2>&1', 'sh', executable, ...(options.args ?? [])], {
    cwd: options.cwd,
    env,
    extendEnv: false,
    detached: true,
    stdin: 'ignore',
    stderr: separate ? 'pipe' : 'ignore',
    buffer: false,
    reject: false,
    stripFinalNewline: false,
  })
  const pid = child.pid

  const stop = (reason: 'aborted' | 'timedOut') => {
    if (stopReason || pid === undefined) return
    stopReason = reason
    signalGroup(pid, stopSignal)
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs)
  }
  const onAbort = () => stop('aborted')
  options.signal?.addEventListener('abort', onAbort, { once: true })
  if (options.timeoutMs !== undefined) timeoutTimer = setTimeout(() => stop('timedOut'), options.timeoutMs)

  const reading = [readLines(child.stdout, options.onLine), readLines(child.stderr, options.onStderrLine)]
  child.on('exit', () => {
    // The leader is gone; children that outlived a stop request get no more grace.
    if (stopReason && pid !== undefined) signalGroup(pid, 'SIGKILL')
  })

  const result = await child
  await Promise.all(reading)
  options.signal?.removeEventListener('abort', onAbort)
  clearTimeout(killTimer)
  clearTimeout(timeoutTimer)

  const signalNumber = result.signal ? (constants.signals[result.signal as NodeJS.Signals] ?? 0) : 0
  return {
    exitCode: result.exitCode ?? 128 + signalNumber,
    signal: result.signal,
    pid,
    durationMs: Math.round(performance.now() - startedAt),
    aborted: stopReason === 'aborted',
    timedOut: stopReason === 'timedOut',
  }
}

/** Hands each line of a stream to `onLine`; resolves once the stream has ended. */
async function readLines(stream: Readable | null, onLine: ((line: string) => void) | undefined): Promise<void> {
  if (!stream) return
  if (!onLine) {
    stream.resume()
    return
  }
  // The default `crlfDelay` joins a `\r\n` split between chunks; a lone `\r` ends a line.
  for await (const line of createInterface({ input: stream })) onLine(line)
}

export interface BackgroundProcess {
  pid: number
}

/**
 * Starts a program that outlives the job (and this Node process): its own
 * session, stdout and stderr appended straight to `logPath` rather than piped
 * through us. Plain `spawn`: there is no result to wait for, only a pid.
 */
export function startBackground(options: {
  file: string
  args: readonly string[]
  logPath: string
  cwd?: string
  env?: Record<string, string | undefined>
}): BackgroundProcess {
  const fd = openSync(options.logPath, 'a', 0o600)
  try {
    const child = spawn(options.file, options.args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      detached: true,
      stdio: ['ignore', fd, fd],
    })
    // Without a listener a failed spawn would be an uncaught error; the missing pid reports it.
    child.on('error', () => {})
    child.unref()
    if (child.pid === undefined) throw new Error(`[provisio] [process] could not start ${options.file}`)
    return { pid: child.pid }
  } finally {
    closeSync(fd)
  }
}
