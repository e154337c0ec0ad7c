import type { Engine } from '@provisio/engine'
import { serverDrivers, type LiveState, type ServerRecord } from '../../workspaces'

/** A provider that does not answer within this long leaves its servers `unknown`. */
const listTimeoutMs = 15_000

export type ServerState = LiveState | 'missing' | 'unknown'

/**
 * What each provider says of the recorded servers now: one list job per provider (through the
 * engine, so it is logged and timed like any other call), `missing` for a server the provider no
 * longer has, `unknown` when the provider is not configured here or did not answer.
 */
export async function liveStates(engine: Engine, records: ServerRecord[]): Promise<Map<ServerRecord, ServerState>> {
  const states = new Map<ServerRecord, ServerState>()
  const providers = [...new Set(records.map((record) => record.provider))]
  await Promise.all(
    providers.map(async (provider) => {
      const driver = serverDrivers.get(provider)
      const listed = driver && engine.providers.has(provider) ? await listServers(engine, provider, driver.listStep) : undefined
      for (const record of records.filter((each) => each.provider === provider)) {
        states.set(record, listed === undefined ? 'unknown' : (driver!.liveState(listed, record.provider_id) ?? 'missing'))
      }
    }),
  )
  return states
}

async function listServers(engine: Engine, provider: string, step: { action: string; input: Record<string, unknown> }): Promise<unknown> {
  const job = await engine.jobs.submit({
    provider,
    action: step.action,
    input: step.input,
    timeoutMs: listTimeoutMs,
    labels: { origin: 'provisioning', purpose: 'live-state' },
  })
  const done = await engine.jobs.wait(job.id)
  return done.status === 'completed' ? done.result : undefined
}
