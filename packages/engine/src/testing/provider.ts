import { afterAll, beforeAll, expect, it } from 'vitest'
import { prefixStorage } from 'unstorage'
import type { z } from 'zod'
import { createEngine, type Engine } from '../engine'
import type { JobRecord } from '../jobs/types'
import type { Provider } from '../providers/types'

/** One call of one action, as a job submits it. */
export interface ActionCall {
  action: string
  input: unknown
}

/** What a provider talks to while its conformance suite runs: a local API, a fake CLI, a temporary directory. */
export interface ProviderStandIn<Options = unknown> {
  /** Starts the stand-in (once, before the suite) and returns the options that point the provider at it. */
  start: () => Promise<{ options: Options; stop?: () => Promise<void> }>
  /** A call that completes. */
  succeeds: ActionCall
  /** A call that fails, and the error `code` it fails with. */
  fails: ActionCall & { code: string }
  /** A call that runs until it is cancelled: a long pull, a slow API, a command that sleeps. */
  cancellable?: ActionCall
  /** A call of an action with `undo`: it is run, then undone from its result. */
  reversible?: ActionCall
  /** Values in the options or inputs above that must appear in no output line, job record or error. */
  secrets?: string[]
}

const providerName = /^[a-z][a-z0-9-]*$/

/**
 * The provider conformance suite, for vitest: what every provider must do, checked through a
 * real engine against the provider's stand-in. Call it inside a `describe`, as unstorage's
 * `testDriver` is called for each storage driver.
 *
 * ```ts
 * describe('providers: hello', () => testProvider(helloProvider, helloStandIn))
 * ```
 */
export function testProvider<S extends z.ZodType>(provider: Provider<S>, standIn: ProviderStandIn<z.input<S>>): void {
  let engine: Engine
  let options: z.input<S>
  let stop: (() => Promise<void>) | undefined
  const finished: JobRecord[] = []

  beforeAll(async () => {
    const started = await standIn.start()
    options = started.options
    stop = started.stop
    engine = createEngine({ providers: [provider.configure(options)] })
    await engine.start()
  })
  afterAll(async () => {
    await engine?.stop()
    await stop?.()
  })

  const submit = async (call: ActionCall, extra: { undo?: { result: unknown } } = {}) => {
    const job = await engine.jobs.submit({ provider: provider.name, action: call.action, input: call.input, ...extra })
    return job.id
  }
  const settle = async (id: string) => {
    const job = await engine.jobs.wait(id)
    finished.push(job)
    return job
  }
  const outputOf = async (id: string) => {
    const lines: string[] = []
    for await (const { line } of engine.jobs.output(id)) lines.push(line)
    return lines
  }

  it('declares a name and, for every action, an input schema, a run function and a description', () => {
    expect(provider.name).toMatch(providerName)
    const actions = Object.entries(provider.actions)
    expect(actions.length).toBeGreaterThan(0)
    for (const [name, action] of actions) {
      expect(typeof action.input?.safeParse, `${name}: input schema`).toBe('function')
      expect(typeof action.run, `${name}: run`).toBe('function')
      expect(action.description, `${name}: description`).toMatch(/\S/)
    }
    for (const call of [standIn.succeeds, standIn.fails, standIn.cancellable, standIn.reversible]) {
      if (call) expect(Object.keys(provider.actions), 'the stand-in calls actions the provider has').toContain(call.action)
    }
  })

  it('configure() returns a configured copy and leaves the provider as it was', () => {
    const before = provider.options
    const configured = provider.configure(options)
    expect(configured).not.toBe(provider)
    expect(configured.options).toEqual(options)
    expect(configured.name).toBe(provider.name)
    expect(provider.options).toBe(before)
    if (provider.config) expect(provider.config.safeParse(options).success, 'the stand-in options pass the config schema').toBe(true)
  })

  it('runs a call to completion, with a JSON result and output of single lines', async () => {
    const id = await submit(standIn.succeeds)
    const job = await settle(id)
    expect(job.status, JSON.stringify(job.error)).toBe('completed')
    expect(JSON.parse(JSON.stringify(job.result ?? null))).toEqual(job.result ?? null)
    for (const line of await outputOf(id)) {
      expect(typeof line).toBe('string')
      expect(line).not.toMatch(/[\r\n]/)
    }
  })

  it(`fails with its error code and a message that starts with [provisio] [${provider.name}]`, async () => {
    const job = await settle(await submit(standIn.fails))
    expect(job.status).toBe('failed')
    expect(job.error?.code).toBe(standIn.fails.code)
    expect(job.error?.message.startsWith(`[provisio] [${provider.name}] `), job.error?.message).toBe(true)
  })

  if (standIn.cancellable) {
    const call = standIn.cancellable
    it('stops a cancelled call within 5 s', async () => {
      const id = await submit(call)
      await expect.poll(async () => (await engine.jobs.get(id))?.status, { timeout: 10_000, interval: 20 }).toBe('running')
      const cancelledAt = Date.now()
      await engine.jobs.cancel(id)
      const job = await settle(id)
      expect(job.status).toBe('cancelled')
      expect(Date.now() - cancelledAt).toBeLessThan(5_000)
    })
  }

  if (standIn.reversible) {
    const call = standIn.reversible
    it('undoes a completed call from its result', async () => {
      const done = await settle(await submit(call))
      expect(done.status, JSON.stringify(done.error)).toBe('completed')
      const undone = await settle(await submit(call, { undo: { result: done.result } }))
      expect(undone.status, JSON.stringify(undone.error)).toBe('completed')
    })
  }

  if (provider.resources) {
    const resources = provider.resources
    it('lists its resources as a JSON array', async () => {
      const config = (provider.config ? provider.config.parse(options) : options) as z.output<S>
      const listed = await resources.list({ config, signal: AbortSignal.timeout(10_000), storage: prefixStorage(engine.storage, `providers:${provider.name}`) })
      expect(Array.isArray(listed)).toBe(true)
      expect(JSON.parse(JSON.stringify(listed))).toEqual(listed)
    })
  }

  if (standIn.secrets?.length) {
    const secrets = standIn.secrets
    it('keeps its secrets out of every output line, job record and error', async () => {
      // The jobs of the tests above; run on its own (`-t`), this test runs its own.
      if (finished.length === 0) for (const call of [standIn.succeeds, standIn.fails]) await settle(await submit(call))
      for (const job of finished) {
        const seen = JSON.stringify(job) + (await outputOf(job.id)).join('\n')
        for (const secret of secrets) expect(seen.includes(secret), `${job.action} (${job.status}) shows a secret`).toBe(false)
      }
    })
  }
}
