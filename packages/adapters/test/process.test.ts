import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isAlive, runProcess, startBackground } from '../src/utils/process'

async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value as T
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('runProcess: lines', () => {
  /** Runs node writing `chunks` one at a time, 20 ms apart, so each arrives in a chunk of its own. */
  async function linesOf(chunks: string[]): Promise<string[]> {
    const lines: string[] = []
    const script = `const chunks = ${JSON.stringify(chunks)}.map((hex) => Buffer.from(hex, 'hex'))
const next = () => { const chunk = chunks.shift(); if (chunk) process.stdout.write(chunk, () => setTimeout(next, 20)) }
next()`
    await runProcess({ file: process.execPath, args: ['-e', script], onLine: (line) => lines.push(line) })
    return lines
  }

  it('splits on \\n, \\r\\n and a lone \\r across chunk boundaries', async () => {
    const lines = await linesOf(['one\r', '\ntwo\nthr', 'ee\r50%\r100%\n\nlast'].map((text) => Buffer.from(text).toString('hex')))
    expect(lines).toEqual(['one', 'two', 'three', '50%', '100%', '', 'last'])
  })

  it('keeps multi-byte characters split between chunks', async () => {
    const bytes = Buffer.from('café ☕\n')
    const lines = await linesOf([bytes.subarray(0, 4).toString('hex'), bytes.subarray(4).toString('hex')])
    expect(lines).toEqual(['café ☕'])
  })
})

describe('runProcess', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisio-process-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('merges stdout and stderr line by line and reports the exit code', async () => {
    const lines: string[] = []
    const result = await runProcess({
      file: 'bash',
      args: ['-c', 'echo out1; echo err1 >&2; sleep 0.05; echo out2; exit 3'],
      onLine: (line) => lines.push(line),
    })
    expect(result.exitCode).toBe(3)
    expect(result.aborted).toBe(false)
    expect(lines).toEqual(['out1', 'err1', 'out2'])
  })

  it('gives stderr lines to onStderrLine, apart from stdout, when asked', async () => {
    const out: string[] = []
    const err: string[] = []
    const result = await runProcess({
      file: 'bash',
      args: ['-c', 'echo out1; echo err1 >&2; echo out2; echo err2 >&2; exit 2'],
      onLine: (line) => out.push(line),
      onStderrLine: (line) => err.push(line),
    })
    expect(result.exitCode).toBe(2)
    expect(out).toEqual(['out1', 'out2'])
    expect(err).toEqual(['err1', 'err2'])
  })

  it('passes cwd and env', async () => {
    const lines: string[] = []
    await runProcess({ file: 'bash', args: ['-c', 'pwd; echo "$GREETING"'], cwd: dir, env: { GREETING: 'hi' }, onLine: (l) => lines.push(l) })
    expect(lines).toEqual([dir, 'hi'])
  })

  it('reports a program that cannot start', async () => {
    const result = await runProcess({ file: join(dir, 'missing-binary') })
    expect(result.spawnError?.code).toBe('ENOENT')
    expect(result.exitCode).toBe(127)
  })

  it('kills the whole group within 2 s on abort, even children that ignore SIGTERM', async () => {
    const pidFile = join(dir, 'child.pid')
    const controller = new AbortController()
    const lines: string[] = []
    const running = runProcess({
      file: 'bash',
      args: ['-c', `trap '' TERM; bash -c "trap '' TERM; echo \\$\\$ > ${pidFile}; sleep 30" & echo started; wait`],
      signal: controller.signal,
      onLine: (line) => lines.push(line),
    })
    const childPid = Number(await waitFor(async () => (await readFile(pidFile, 'utf8').catch(() => '')).trim() || undefined))
    expect(isAlive(childPid)).toBe(true)
    const abortedAt = Date.now()
    controller.abort()
    const result = await running
    expect(Date.now() - abortedAt).toBeLessThan(2000)
    expect(result.aborted).toBe(true)
    expect(result.signal).toBe('SIGKILL')
    await waitFor(() => !isAlive(childPid), 1000)
    expect(lines).toContain('started')
  })

  it('stops the group after timeoutMs', async () => {
    const result = await runProcess({ file: 'sleep', args: ['30'], timeoutMs: 100, graceMs: 200 })
    expect(result.timedOut).toBe(true)
    expect(result.signal).toBe('SIGTERM')
    expect(result.exitCode).toBe(143)
  })

  it('returns at once for an already aborted signal', async () => {
    const result = await runProcess({ file: 'sleep', args: ['30'], signal: AbortSignal.abort() })
    expect(result.aborted).toBe(true)
    expect(result.pid).toBeUndefined()
  })
})

describe('startBackground', () => {
  it('starts a process that writes to its log file and outlives the call', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'provisio-bg-'))
    const logPath = join(dir, 'run.log')
    const { pid } = startBackground({ file: 'bash', args: ['-c', 'echo hello; echo oops >&2; sleep 30'], logPath })
    try {
      expect(isAlive(pid)).toBe(true)
      const log = await waitFor(async () => {
        const text = await readFile(logPath, 'utf8')
        return text.includes('oops') ? text : undefined
      })
      expect(log).toContain('hello')
    } finally {
      process.kill(-pid, 'SIGKILL')
      await rm(dir, { recursive: true, force: true })
    }
  })
})
