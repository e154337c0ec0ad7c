import { setTimeout as sleep } from 'node:timers/promises'
import { ValidationError } from '@provisio/engine'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createTestContext, definePlugin, defineProvider, runAction } from '../src'

// A provider as a team would write one: config with a default, storage, progress, events, undo.
const dns = defineProvider({
  name: 'dns',
  config: z.object({ zone: z.string(), ttl: z.number().int().default(300) }),
  actions: {
    'record.create': {
      input: z.object({ name: z.string(), ip: z.ipv4() }),
      async run(ctx, input) {
        const fqdn = `${input.name}.${ctx.config.zone}`
        ctx.log(`creating ${fqdn}\nttl ${ctx.config.ttl}`)
        ctx.progress(150, 'stored')
        await ctx.storage.setItem(`records:${fqdn}`, input.ip)
        ctx.emit('record.created', { fqdn })
        return { fqdn }
      },
      async undo(ctx, _input, result: { fqdn: string }) {
        await ctx.storage.removeItem(`records:${result.fqdn}`)
        ctx.log(`deleted ${result.fqdn}`)
      },
    },
    'zone.wait': {
      input: z.object({ ms: z.number() }),
      run: async (ctx, input) => {
        await sleep(input.ms, undefined, { signal: ctx.signal })
        return 'propagated'
      },
    },
    flaky: {
      input: z.object({}),
      run: (ctx) => {
        if (ctx.attempt < 2) throw Object.assign(new Error('rate limited'), { code: 'rate_limit' })
        return ctx.attempt
      },
    },
  },
})

describe('sdk: createTestContext', () => {
  it('runs an action without an engine and collects what it reported', async () => {
    const { ctx, logs, progress, events } = createTestContext({ config: { zone: 'example.test', ttl: 60 } })
    const action = dns.actions['record.create']

    expect(await action.run(ctx, { name: 'www', ip: '192.0.2.1' })).toEqual({ fqdn: 'www.example.test' })
    expect(logs).toEqual(['creating www.example.test', 'ttl 60'])
    expect(progress).toEqual([{ percent: 100, step: 'stored' }])
    expect(events).toEqual([{ type: 'record.created', data: { fqdn: 'www.example.test' } }])
    expect(await ctx.storage.getItem('records:www.example.test')).toBe('192.0.2.1')

    await action.undo!(ctx, { name: 'www', ip: '192.0.2.1' }, { fqdn: 'www.example.test' })
    expect(await ctx.storage.hasItem('records:www.example.test')).toBe(false)
    expect(logs.at(-1)).toBe('deleted www.example.test')
  })

  it('aborts the signal as cancelling a job would', async () => {
    const { ctx, abort } = createTestContext({ config: { zone: 'example.test', ttl: 60 }, jobId: 'job-1', attempt: 3 })
    expect([ctx.jobId, ctx.attempt]).toEqual(['job-1', 3])
    const running = dns.actions['zone.wait'].run(ctx, { ms: 60_000 })
    const reason = new Error('cancelled by test')
    abort(reason)
    await expect(running).rejects.toMatchObject({ name: 'AbortError', cause: reason })
    expect(ctx.signal.reason).toBe(reason)
  })
})

describe('sdk: runAction', () => {
  it('runs an action as a job of a real engine and returns its record and output', async () => {
    const { record, output } = await runAction(dns, 'record.create', { name: 'www', ip: '192.0.2.1' }, { config: { zone: 'example.test' } })
    expect(record).toMatchObject({
      status: 'completed',
      provider: 'dns',
      action: 'record.create',
      result: { fqdn: 'www.example.test' },
      progress: { percent: 100, step: 'stored' },
    })
    expect(output).toEqual(['creating www.example.test', 'ttl 300'])
  })

  it('validates the configuration and the input as the engine does', async () => {
    await expect(runAction(dns, 'record.create', { name: 'www', ip: '192.0.2.1' })).rejects.toThrow(ValidationError)
    const bad = await runAction(dns, 'record.create', { name: 'www', ip: 'nope' }, { config: { zone: 'example.test' } }).catch(
      (error: ValidationError) => error,
    )
    expect(bad).toBeInstanceOf(ValidationError)
    expect((bad as ValidationError).issues.map((issue) => issue.path)).toEqual(['input.ip'])
  })

  it('applies the submission options, such as retries and timeouts', async () => {
    const failed = await runAction(dns, 'flaky', {}, { config: { zone: 'example.test' } })
    expect(failed.record).toMatchObject({ status: 'failed', error: { message: 'rate limited', code: 'rate_limit' } })

    const retried = await runAction(dns, 'flaky', {}, { config: { zone: 'example.test' }, submission: { retry: { attempts: 2, backoffMs: 1 } } })
    expect(retried.record).toMatchObject({ status: 'completed', attempt: 2, result: 2 })

    const timedOut = await runAction(dns, 'zone.wait', { ms: 60_000 }, { config: { zone: 'example.test' }, submission: { timeoutMs: 50 } })
    expect(timedOut.record).toMatchObject({ status: 'failed', error: { code: 'timeout' } })
  })

  it('starts the plugins it is given, so a plugin can be tested against a real job', async () => {
    const seen: string[] = []
    const recorder = definePlugin({
      name: 'recorder',
      setup(engine) {
        engine.on('job:status', ({ status }) => seen.push(status))
        return () => void seen.push('teardown')
      },
    })
    await runAction(dns, 'record.create', { name: 'api', ip: '192.0.2.2' }, { config: { zone: 'example.test' }, plugins: [recorder] })
    expect(seen).toEqual(['pending', 'running', 'completed', 'teardown'])
  })
})
