import { createEngine, type JobRecord, type JobSubmission, type Plugin, type Provider } from '@provisio/engine'
import type { Storage } from 'unstorage'

export interface RunActionOptions {
  /** The provider's configuration, validated by its schema as the engine would. */
  config?: Record<string, unknown>
  /** Storage of the engine (memory when omitted): pass one to look at what the action stored. */
  storage?: Storage
  /** Plugins to start with the engine, e.g. one under test. */
  plugins?: Plugin[]
  /** Rest of the submission: `timeoutMs`, `retry`, `labels`, `undo`. */
  submission?: Omit<JobSubmission, 'provider' | 'action' | 'input'>
}

export interface RunActionResult {
  /** The job's final record: `status`, `result`, `error`, `attempt`... */
  record: JobRecord
  /** Every line the action logged. */
  output: string[]
}

/**
 * Runs one action as a job of a real in-memory engine, with input validation,
 * retries, timeouts, hooks and plugins, and returns the final record and output.
 * Rejects with `ValidationError` when the configuration or input is invalid.
 *
 * ```ts
 * const { record, output } = await runAction(dns, 'record.create', { name: 'www', ip: '192.0.2.1' }, { config: { zone: 'example.test' } })
 * expect(record.status).toBe('completed')
 * ```
 */
export async function runAction(provider: Provider<any>, action: string, input: unknown, options: RunActionOptions = {}): Promise<RunActionResult> {
  const configured = options.config === undefined ? provider : provider.configure(options.config)
  const engine = createEngine({ providers: [configured], plugins: options.plugins, storage: options.storage })
  await engine.start()
  try {
    const job = await engine.jobs.submit({ ...options.submission, provider: provider.name, action, input })
    const record = await engine.jobs.wait(job.id)
    const output: string[] = []
    for await (const { line } of engine.jobs.output(job.id)) output.push(line)
    return { record, output }
  } finally {
    await engine.stop({ graceMs: 0 })
  }
}
