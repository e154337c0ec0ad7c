import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createEngine, definePlugin, defineProvider, ValidationError } from '../../src'
import { startEngine, testProvider } from '../helpers'

describe('engine: plugins, hooks and providers', () => {
  it('lets a plugin add a provider, listen to events, add hooks and routes', async () => {
    const seen: string[] = []
    const greeter = defineProvider({
      name: 'greeter',
      actions: { greet: { input: z.object({ name: z.string() }), run: (ctx, input) => ctx.log(`hi ${input.name}`) } },
    })
    const plugin = definePlugin({
      name: 'recorder',
      setup(engine) {
        engine.addProvider(greeter)
        engine.on('job:status', ({ status }) => seen.push(`status:${status}`))
        engine.hook('beforeJob', ({ job }) => void seen.push(`before:${job.action}`))
        engine.hook('afterJob', ({ job }) => void seen.push(`after:${job.status}`))
        engine.addRoute({ method: 'GET', path: '/recorder', handler: () => new Response(JSON.stringify(seen)) })
        return () => void seen.push('teardown')
      },
    })
    const engine = createEngine({ plugins: [plugin] })
    await engine.start()
    const job = await engine.jobs.submit({ provider: 'greeter', action: 'greet', input: { name: 'Ada' } })
    expect((await engine.jobs.wait(job.id)).status).toBe('completed')
    await new Promise((resolve) => setImmediate(resolve))
    expect(seen).toEqual(['status:pending', 'status:running', 'before:greet', 'status:completed', 'after:completed'])
    expect(engine.routes.map((route) => route.path)).toEqual(['/recorder'])
    expect(await (await engine.routes[0].handler(new Request('http://x/recorder'))).json()).toContain('status:pending')
    await engine.stop()
    expect(seen.at(-1)).toBe('teardown')
  })

  it('fails the attempt when a beforeJob hook throws', async () => {
    const engine = await startEngine()
    engine.hook('beforeJob', () => {
      throw new Error('change freeze in effect')
    })
    const job = await engine.jobs.submit({ provider: 'test', action: 'echo', input: {} })
    expect(await engine.jobs.wait(job.id)).toMatchObject({ status: 'failed', error: { message: 'change freeze in effect' } })
  })

  it('validates provider configuration with its schema when registered', () => {
    const configured = defineProvider({
      name: 'configured',
      config: z.object({ apiKey: z.string().min(1), region: z.string().default('ams') }),
      actions: { show: { input: z.object({}), run: (ctx) => ctx.config } },
    })
    expect(() => createEngine({ providers: [configured] })).toThrow(ValidationError)
    const engine = createEngine({ providers: [configured.configure({ apiKey: 'k' })] })
    expect(engine.providers.get('configured')?.config).toEqual({ apiKey: 'k', region: 'ams' })
  })

  it('gives actions their config and a storage scoped to the provider', async () => {
    const counter = defineProvider({
      name: 'counter',
      config: z.object({ step: z.number().default(1) }),
      actions: {
        bump: {
          input: z.object({}),
          run: async (ctx) => {
            const value = ((await ctx.storage.getItem<number>('count')) ?? 0) + ctx.config.step
            await ctx.storage.setItem('count', value)
            return value
          },
        },
      },
    })
    const engine = createEngine({ providers: [counter.configure({ step: 5 })] })
    await engine.start()
    for (let n = 0; n < 2; n++) await engine.jobs.wait((await engine.jobs.submit({ provider: 'counter', action: 'bump' })).id)
    expect(await engine.storage.getItem('providers:counter:count')).toBe(10)
    await engine.stop()
  })

  it('refuses a provider registered twice', () => {
    expect(() => createEngine({ providers: [testProvider, testProvider] })).toThrow(/already registered/)
  })

  it('runs an undo job with the result of the run it reverses', async () => {
    const undoable = defineProvider({
      name: 'undoable',
      actions: {
        create: {
          input: z.object({ name: z.string() }),
          run: (_ctx, input) => ({ id: `id-${input.name}` }),
          undo: (ctx, input, result: { id: string }) => {
            ctx.log(`deleting ${result.id} (${input.name})`)
            return { deleted: result.id }
          },
        },
      },
    })
    const engine = createEngine({ providers: [undoable] })
    await engine.start()
    const created = await engine.jobs.wait((await engine.jobs.submit({ provider: 'undoable', action: 'create', input: { name: 'web' } })).id)
    const undone = await engine.jobs.wait(
      (await engine.jobs.submit({ provider: 'undoable', action: 'create', input: { name: 'web' }, undo: { result: created.result } })).id,
    )
    expect(undone).toMatchObject({ mode: 'undo', status: 'completed', result: { deleted: 'id-web' } })
    await engine.stop()
  })
})

describe('engine: stop', () => {
  it('lets running jobs finish within the grace period', async () => {
    const engine = createEngine({ providers: [testProvider] })
    await engine.start()
    const job = await engine.jobs.submit({ provider: 'test', action: 'sleep', input: { ms: 100 } })
    await new Promise((resolve) => setTimeout(resolve, 20))
    await engine.stop({ graceMs: 2000 })
    expect((await engine.jobs.get(job.id))?.status).toBe('completed')
    await expect(engine.jobs.submit({ provider: 'test', action: 'echo' })).rejects.toThrow(/not accepting jobs/)
  })

  it('cancels what still runs after the grace period and keeps queued jobs pending for the next start', async () => {
    const storage = (await import('unstorage')).createStorage()
    const engine = createEngine({ providers: [testProvider], storage, concurrency: 1 })
    await engine.start()
    const long = await engine.jobs.submit({ provider: 'test', action: 'sleep', input: { ms: 10_000 } })
    const queued = await engine.jobs.submit({ provider: 'test', action: 'echo', input: { lines: ['later'] } })
    await new Promise((resolve) => setTimeout(resolve, 20))
    await engine.stop({ graceMs: 50 })
    expect((await engine.jobs.get(long.id))?.status).toBe('cancelled')
    expect((await engine.jobs.get(queued.id))?.status).toBe('pending')
    const next = createEngine({ providers: [testProvider], storage })
    await next.start()
    expect(await next.jobs.wait(queued.id)).toMatchObject({ status: 'completed', outputLines: 1 })
    await next.stop()
  })
})
