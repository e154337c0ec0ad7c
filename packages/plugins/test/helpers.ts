import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { createEngine, defineProvider, type Engine, type EngineOptions } from '@provisio/engine'
import { afterEach } from 'vitest'
import { z } from 'zod'

/** Actions covering what the plugins report on: output, failures, retries, waits the test controls. */
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
      input: z.object({ message: z.string().default('boom'), code: z.string().optional(), lines: z.array(z.string()).default([]) }),
      run: (ctx, input) => {
        for (const line of input.lines) ctx.log(line)
        throw Object.assign(new Error(input.message), input.code ? { code: input.code } : {})
      },
    },
    flaky: {
      input: z.object({ failures: z.number().int().min(0) }),
      run: (ctx, input) => {
        if (ctx.attempt <= input.failures) throw new Error(`failure ${ctx.attempt}`)
        return { attempt: ctx.attempt }
      },
    },
    hold: {
      description: 'Runs until the job is cancelled.',
      input: z.object({}),
      run: (ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true })
        }),
    },
  },
})

const cleanups: Array<() => unknown> = []

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

/** Runs `fn` after the test, last registered first. */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn)
}

/** A started engine with the test provider, stopped after the test (if the test did not). */
export async function startEngine(options: EngineOptions = {}): Promise<Engine> {
  const engine = createEngine({ providers: [testProvider], ...options })
  await engine.start()
  onCleanup(() => engine.stop({ graceMs: 0 }))
  return engine
}

/** Submits a job of the test provider and waits for its end. */
export async function runJob(engine: Engine, action: string, input: unknown = {}, extra: { retry?: { attempts: number; backoffMs?: number } } = {}) {
  return engine.jobs.wait((await engine.jobs.submit({ provider: 'test', action, input, ...extra })).id)
}

export interface ReceivedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
}

/**
 * A real HTTP server on 127.0.0.1 that records each request. `respond` picks the
 * status of the n-th request (from 1), or returns `'hold'` to leave it unanswered.
 */
export async function startReceiver(respond: (request: ReceivedRequest, n: number) => number | 'hold' = () => 204) {
  const requests: ReceivedRequest[] = []
  const held: ServerResponse[] = []
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const request = { method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
    requests.push(request)
    const status = respond(request, requests.length)
    if (status === 'hold') held.push(res)
    else res.writeHead(status).end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  onCleanup(() => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(resolve))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    /** Answers the requests left unanswered so far. */
    release: (status = 204) => held.splice(0).forEach((res) => res.writeHead(status).end()),
  }
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(10)
  }
}

/**
 * A loopback port nobody listens on. Not port 1: fetch refuses "bad ports" before
 * connecting, which would test the refusal list instead of a dead host.
 */
export async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
