import { randomUUID } from 'node:crypto'
import type { ProviderStandIn } from '@provisio/engine/testing'
import type { ExecOptions } from '../exec'

/**
 * The exec provider's stand-in for the provider conformance suite: the machine's own
 * `bash`, with a secret in the environment that the output must never show.
 *
 * ```ts
 * describe('providers: exec', () => testProvider(execProvider, execStandIn()))
 * ```
 */
export function execStandIn(): ProviderStandIn<ExecOptions> {
  const secret = `exec-${randomUUID()}`
  const env = { API_TOKEN: secret }
  return {
    start: async () => ({ options: { graceMs: 200 } }),
    succeeds: { action: 'run', input: { command: 'echo "token: $API_TOKEN"', env } },
    fails: { action: 'run', input: { command: 'echo "token: $API_TOKEN" >&2; exit 3', env }, code: 'exit_code' },
    cancellable: { action: 'run', input: { command: 'exec sleep 60' } },
    secrets: [secret],
  }
}
