import { accessSync, constants } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { delimiter, join } from 'node:path'
import type { Provider } from '@provisio/engine'
import { ansible, exec, tart, upcloud, vultr } from '@provisio/adapters'
import { createFakeTart, startUpCloudStandIn, startVultrStandIn } from '@provisio/adapters/testing'
import type { ProviderStatus } from '../platform/surface-deps'

export interface ResolvedProviders {
  providers: Provider<any>[]
  statuses: ProviderStatus[]
  /** Providers that are not available, with what to do about it (`EngineOptions.unavailableProviders`). */
  unavailable: Record<string, string>
  /** Stops the stand-ins started for sandbox mode. */
  close: () => Promise<void>
}

export interface ResolveProvidersOptions {
  dataDir: string
  /** Run providers without credentials against the local stand-ins instead of leaving them out. */
  sandbox: boolean
  env?: NodeJS.ProcessEnv
}

/** True when an executable of that name is in one of the `PATH` directories. */
function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => {
    if (!dir) return false
    try {
      accessSync(join(dir, name), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

const orSandbox = 'or start the server with --sandbox (PROVISIO_SANDBOX=true) to run it against a local stand-in'

/**
 * Cloud providers with credentials in the environment, and tart when its binary is on the PATH,
 * talk to the real thing. The others run against the local stand-ins of `@provisio/adapters/testing`
 * only when `sandbox` is asked for: otherwise they are unavailable, so a job cannot "succeed"
 * against a fake cloud by accident. `exec` is always there; `ansible` when `ansible-playbook` is
 * installed.
 */
export async function resolveProviders({ dataDir, sandbox, env = process.env }: ResolveProvidersOptions): Promise<ResolvedProviders> {
  const providers: Provider<any>[] = [exec()]
  const statuses: ProviderStatus[] = [{ name: 'exec', mode: 'live' }]
  const unavailable: Record<string, string> = {}
  const standIns: { close: () => Promise<void> }[] = []
  const sandboxSecret = () => randomBytes(16).toString('hex')
  const leaveOut = (name: string, reason: string) => {
    unavailable[name] = reason
    statuses.push({ name, mode: 'unavailable', reason })
  }

  try {
    if (env.VULTR_API_KEY) {
      providers.push(vultr({ apiKey: env.VULTR_API_KEY }))
      statuses.push({ name: 'vultr', mode: 'live' })
    } else if (sandbox) {
      const apiKey = sandboxSecret()
      const standIn = await startVultrStandIn({ apiKey, port: 0, host: '127.0.0.1', readyAfterMs: 3_000, powerDelayMs: 1_000 })
      standIns.push(standIn)
      providers.push(vultr({ apiKey, baseUrl: standIn.apiUrl, pollIntervalMs: 500 }))
      statuses.push({ name: 'vultr', mode: 'sandbox', endpoint: standIn.apiUrl })
    } else {
      leaveOut('vultr', `no credentials: set VULTR_API_KEY, ${orSandbox}`)
    }

    if (env.UPCLOUD_TOKEN || (env.UPCLOUD_USERNAME && env.UPCLOUD_PASSWORD)) {
      providers.push(upcloud(env.UPCLOUD_TOKEN ? { token: env.UPCLOUD_TOKEN } : { username: env.UPCLOUD_USERNAME, password: env.UPCLOUD_PASSWORD }))
      statuses.push({ name: 'upcloud', mode: 'live' })
    } else if (sandbox) {
      const credentials = { username: 'sandbox', password: sandboxSecret() }
      const standIn = await startUpCloudStandIn({ ...credentials, port: 0, host: '127.0.0.1', readyAfterMs: 3_000, startAfterMs: 1_000, stopAfterMs: 1_000 })
      standIns.push(standIn)
      providers.push(upcloud({ ...credentials, baseUrl: standIn.apiUrl, pollIntervalMs: 500 }))
      statuses.push({ name: 'upcloud', mode: 'sandbox', endpoint: standIn.apiUrl })
    } else {
      leaveOut('upcloud', `no credentials: set UPCLOUD_TOKEN (or UPCLOUD_USERNAME and UPCLOUD_PASSWORD), ${orSandbox}`)
    }

    const vmLogDir = join(dataDir, 'tart-logs')
    if (onPath('tart', env)) {
      providers.push(tart({ vmLogDir }))
      statuses.push({ name: 'tart', mode: 'live' })
    } else if (sandbox) {
      const fake = await createFakeTart({ dir: join(dataDir, 'sandbox', 'tart'), seed: true })
      standIns.push({ close: fake.cleanup })
      providers.push(tart({ binary: fake.bin, vmLogDir }))
      statuses.push({ name: 'tart', mode: 'sandbox', endpoint: fake.bin })
    } else {
      leaveOut('tart', `the tart binary is not on the PATH: install tart (macOS on Apple silicon), ${orSandbox}`)
    }

    if (onPath('ansible-playbook', env)) {
      providers.push(ansible())
      statuses.push({ name: 'ansible', mode: 'live' })
    } else {
      leaveOut('ansible', 'ansible-playbook is not on the PATH: install ansible (e.g. apt-get install ansible or pipx install ansible)')
    }
  } catch (error) {
    await Promise.all(standIns.map((standIn) => standIn.close()))
    throw error
  }

  return {
    providers,
    statuses,
    unavailable,
    close: async () => {
      await Promise.all(standIns.map((standIn) => standIn.close()))
    },
  }
}
