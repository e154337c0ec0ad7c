import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach } from 'vitest'
import { z } from 'zod'
import { createEngine, defineProvider, type Engine, type EngineOptions } from '../src'

/** A provider whose actions cover what the engine must handle: output, failures, waits, child processes. */
export const testProvider = defineProvider({
  name: 'test',
  actions: {
    echo: {
      input: z.object({ lines: z.array(z.string()).default([]), result: z.unknown().optional() }),
      run: (ctx, input) => {
        for (const line of input.lines) ctx.log(line)
        return input.result ?? { echoed: input.lines.length }
      },
    },
    fail: {
      input: z.object({ message: z.string().default('boom'), code: z.string().optional(), details: z.unknown().optional() }),
      run: (_ctx, input) => {
        throw Object.assign(new Error(input.message), input.code ? { code: input.code } : {}, input.details ? { details: input.details } : {})
      },
    },
    sleep: {
      input: z.object({ ms: z.number().int().min(0) }),
      run: async (ctx, input) => {
        ctx.log(`sleeping ${input.ms} ms`)
        await sleep(input.ms, undefined, { signal: ctx.signal })
        return { slept: input.ms }
      },
    },
    flaky: {
      input: z.object({ failures: z.number().int().min(0) }),
      run: (ctx, input) => {
        ctx.log(`attempt ${ctx.attempt}`)
        if (ctx.attempt <= input.failures) throw new Error(`failure ${ctx.attempt}`)
        return { attempt: ctx.attempt }
      },
    },
    stubborn: {
      description: 'Runs a child process that ignores SIGTERM, so only SIGKILL stops it.',
      input: z.object({ pidFile: z.string() }),
      run: (ctx, input) =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'stubborn.mjs'), input.pidFile], {
            stdio: ['ignore', 'pipe', 'inherit'],
          })
          child.stdout.setEncoding('utf8').on('data', (chunk: string) => ctx.log(chunk.trimEnd()))
          const onAbort = () => {
            child.kill('SIGTERM')
            setTimeout(() => child.kill('SIGKILL'), 500).unref()
          }
          ctx.signal.addEventListener('abort', onAbort, { once: true })
          child.on('exit', (code, signal) => {
            ctx.signal.removeEventListener('abort', onAbort)
            if (ctx.signal.aborted) reject(ctx.signal.reason)
            else resolve({ code, signal })
          })
        }),
    },
    lines: {
      input: z.object({ count: z.number().int().min(0), batch: z.number().int().min(1).default(1000) }),
      run: async (ctx, input) => {
        for (let n = 0; n < input.count; n++) {
          ctx.log(`line ${n}`)
          if ((n + 1) % input.batch === 0) await new Promise((resolve) => setImmediate(resolve))
        }
        return { count: input.count }
      },
    },
    progress: {
      input: z.object({}),
      run: (ctx) => {
        ctx.progress(50, 'halfway')
        ctx.emit('custom', { hello: 'world' })
        return null
      },
    },
  },
})

const cleanups: Array<() => unknown> = []

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** A started engine with the test provider, stopped after the test. */
export async function startEngine(options: EngineOptions = {}): Promise<Engine> {
  const engine = createEngine({ providers: [testProvider], ...options })
  await engine.start()
  cleanups.push(() => engine.stop({ graceMs: 0 }))
  return engine
}

/** A temp directory removed after the test. */
export function tempDir(prefix = 'provisio-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(10)
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
