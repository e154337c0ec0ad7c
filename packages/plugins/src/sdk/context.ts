import type { ActionContext } from '@provisio/engine'
import { createStorage, type Storage } from 'unstorage'

export interface TestContextOptions<Config> {
  /** What `ctx.config` holds; given as is, not validated. Default `{}`. */
  config?: Config
  /** What `ctx.storage` is. A fresh memory storage when omitted. */
  storage?: Storage
  jobId?: string
  attempt?: number
}

/** An `ActionContext` for calling an action's `run` or `undo` directly, with what it reported. */
export interface TestContext<Config> {
  ctx: ActionContext<Config>
  /** Lines logged with `ctx.log`, one entry per line as the engine would store them. */
  logs: string[]
  progress: Array<{ percent: number; step?: string }>
  events: Array<{ type: string; data: unknown }>
  /** Aborts `ctx.signal`, as cancelling the job or its timeout would. */
  abort: (reason?: unknown) => void
}

/**
 * Builds an `ActionContext` without an engine, to unit-test one action:
 *
 * ```ts
 * const { ctx, logs } = createTestContext({ config: { zone: 'example.test' } })
 * expect(await dns.actions['record.create'].run(ctx, { name: 'www', ip: '192.0.2.1' })).toEqual({ fqdn: 'www.example.test' })
 * expect(logs).toEqual(['creating www.example.test'])
 * ```
 */
export function createTestContext<Config = Record<string, never>>(options: TestContextOptions<Config> = {}): TestContext<Config> {
  const controller = new AbortController()
  const logs: string[] = []
  const progress: TestContext<Config>['progress'] = []
  const events: TestContext<Config>['events'] = []
  const ctx: ActionContext<Config> = {
    jobId: options.jobId ?? 'test-job',
    attempt: options.attempt ?? 1,
    config: options.config ?? ({} as Config),
    signal: controller.signal,
    storage: options.storage ?? createStorage(),
    // Same splitting and clamping as the engine, so assertions hold there too.
    log: (text) => logs.push(...String(text).split(/\r?\n/)),
    progress: (percent, step) => progress.push({ percent: Math.max(0, Math.min(100, Number(percent) || 0)), ...(step === undefined ? {} : { step }) }),
    emit: (type, data) => events.push({ type, data }),
  }
  return { ctx, logs, progress, events, abort: (reason) => controller.abort(reason) }
}
