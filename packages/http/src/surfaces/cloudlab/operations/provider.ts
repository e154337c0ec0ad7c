import { existsSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { VultrAccount, VultrInstance, VultrPlan } from '@provisio/adapters'
import { definePlugin, defineProvider, type ActionContext, type Engine, type Plugin } from '@provisio/engine'
import { z } from 'zod'
import type { CloudlabVault } from '../context'
import { hostNameOf, InstanceCacheStore, inventoryOf, plansOf, type CachedAccount } from './instance-cache'
import { keepingScriptName, mapContainerPaths } from './container-paths'
import { InstanceFileError, startServiceInstances, type StepRunner } from './service-instances'

export const CLOUDLAB_PROVIDER = 'cloudlab'

/**
 * The `job:event` type a job emits once it changed the cached inventory (a refresh, a stop): where
 * the real backend runs its `vultr_inventory` sync, a listener syncs inventory objects from the cache.
 */
export const INSTANCES_CACHED = 'cloudlab.instances.cached'

/**
 * What the provider reads when a job runs rather than when it is submitted, so that the vault
 * password stays out of job records: the vault of the cloudlab surface served over the engine.
 */
interface ProviderRuntime {
  vault: () => Promise<CloudlabVault | undefined>
  bind: (vault: CloudlabVault) => void
}

const runtimes = new WeakMap<Engine, ProviderRuntime>()

/** How long a job restored at engine start waits for the surface to bring its vault. */
const vaultBindTimeoutMs = 30_000

function createRuntime(vault?: CloudlabVault): ProviderRuntime {
  let bound = vault
  let resolveBound: (vault: CloudlabVault) => void = () => {}
  const binding = new Promise<CloudlabVault>((resolve) => (resolveBound = resolve))
  if (vault) resolveBound(vault)
  return {
    vault: async () => {
      if (bound) return bound
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, vaultBindTimeoutMs, undefined)))
      try {
        return await Promise.race([binding, timeout])
      } finally {
        clearTimeout(timer)
      }
    },
    bind: (next) => {
      bound = next
      resolveBound(next)
    },
  }
}

const inputValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])

const scriptInput = z.object({
  service: z.string().min(1),
  /** The service's folder. */
  dir: z.string().min(1),
  /** `script`: `bash <file>`; `playbook`: seed 000's `main.yaml` through ansible-playbook. */
  kind: z.enum(['script', 'playbook']),
  file: z.string().min(1),
  /** The script's name for the banner (`deploy.sh`, or the `scripts.yaml` entry). */
  title: z.string().min(1),
  inputs: z.record(z.string(), inputValue).default({}),
})

const stopInput = z.discriminatedUnion('scope', [
  z.object({ scope: z.literal('service'), service: z.string().min(1), labels: z.array(z.string()).default([]) }),
  z.object({ scope: z.literal('all') }),
  z.object({ scope: z.literal('instance'), label: z.string().min(1), region: z.string().min(1) }),
])

const refreshInput = z.object({ banner: z.string().min(1) })

/** An inventory action: CloudLab's banner line, then one step (a script, a playbook, or a stop of the service's instances). */
const inventoryActionInput = z.object({
  /** `--- Running <action> (<type>) ---`, the real backend's first line. */
  banner: z.string().min(1),
  step: z.discriminatedUnion('run', [
    z.object({ run: z.literal('script'), input: z.object({ dir: z.string().min(1), file: z.string().min(1), inputs: scriptInput.shape.inputs }) }),
    z.object({ run: z.literal('playbook'), input: z.record(z.string(), z.unknown()) }),
    z.object({ run: z.literal('stop'), input: stopInput }),
  ]),
})

type Context = ActionContext<unknown>

/** A step's failure, already written to the job's output. */
class StepFailed extends Error {
  constructor(message: string) {
    super(`[provisio] [cloudlab] ${message}`)
    this.name = this.constructor.name
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error)).replace(/^(\[[\w-]+\]\s*)+/, '')

/**
 * Runs one action of another registered provider (exec, ansible, vultr) inside a cloudlab job:
 * its lines go to this job's output and cancelling this job aborts it. Failures end in the real
 * backend's last lines, `[EXIT CODE: n]` (the exec adapter writes that one) or `[ERROR: msg]`.
 */
async function step<T>(engine: Engine, ctx: Context, provider: string, action: string, input: unknown): Promise<T> {
  try {
    return await runStep<T>(engine, ctx, provider, action, input)
  } catch (error) {
    if (error instanceof StepFailed) {
      ctx.log(`[ERROR: ${messageOf(error)}]`)
      throw error
    }
    const code = (error as { code?: string }).code
    const exitCode = (error as { exitCode?: number }).exitCode
    if (provider === 'exec' && (code === 'exit_code' || code === 'aborted')) throw error
    ctx.log(exitCode !== undefined ? `[EXIT CODE: ${exitCode}]` : `[ERROR: ${messageOf(error)}]`)
    throw error
  }
}

/** Another provider's action run inside this job, writing nothing of its own. */
async function runStep<T>(engine: Engine, ctx: Context, provider: string, action: string, input: unknown): Promise<T> {
  const registered = engine.providers.get(provider)
  const definition = registered?.provider.actions[action]
  if (!registered || !definition) throw new StepFailed(`the ${provider} provider is not configured on this server`)
  return (await definition.run({ ...ctx, config: registered.config, storage: registered.storage }, definition.input.parse(input))) as T
}

/**
 * The account's balance and pending charges for the costs page. A key without billing rights
 * (or a Vultr stand-in without the route) still refreshes the instances: the figures are left out.
 */
async function readAccount(engine: Engine, ctx: Context): Promise<CachedAccount | undefined> {
  try {
    const account = await runStep<VultrAccount>(engine, ctx, 'vultr', 'account.get', {})
    ctx.log('[Account balance cached]')
    return { balance: account.balance, pending_charges: account.pending_charges }
  } catch (error) {
    ctx.log(`[Warning: account balance not read: ${messageOf(error)}]`)
    return undefined
  }
}

/** `.vault_pass.txt` (0600) in a temporary folder for the run, as the real backend writes it; removed afterwards. */
async function withVaultFile<T>(runtime: ProviderRuntime, run: (file: string | undefined, password: string | undefined) => Promise<T>): Promise<T> {
  const password = await (await runtime.vault())?.password()
  if (!password) return run(undefined, undefined)
  const dir = await mkdtemp(join(tmpdir(), 'provisio-cloudlab-'))
  const file = join(dir, '.vault_pass.txt')
  try {
    await writeFile(file, password, { mode: 0o600 })
    await chmod(file, 0o600)
    return await run(file, password)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function readInventory(engine: Engine, ctx: Context): Promise<VultrInstance[]> {
  ctx.log('--- Generating inventory ---')
  return step<VultrInstance[]>(engine, ctx, 'vultr', 'instance.list', {})
}

function cloudlabProvider(engine: Engine, runtime: ProviderRuntime) {
  const cacheOf = (ctx: Context) => new InstanceCacheStore(ctx.storage)

  const destroy = async (ctx: Context, instances: VultrInstance[]) => {
    const removed = new Set<string>()
    for (const instance of instances) {
      await step(engine, ctx, 'vultr', 'instance.delete', { id: instance.id })
      removed.add(instance.id)
    }
    if (removed.size > 0) {
      await cacheOf(ctx).removeHosts(removed)
      ctx.log('[Instance removed from cache]')
      ctx.emit(INSTANCES_CACHED, { removed: [...removed] })
    }
  }

  /** The Vultr instances, plan prices and account figures into the cache that /api/instances and /api/costs answer from. */
  const cacheInventory = async (ctx: Context) => {
    const instances = await step<VultrInstance[]>(engine, ctx, 'vultr', 'instance.list', {})
    const plans = await step<VultrPlan[]>(engine, ctx, 'vultr', 'plan.list', {})
    const account = await readAccount(engine, ctx)
    const cachedAt = new Date().toISOString()
    await cacheOf(ctx).write({ inventory: inventoryOf(instances), plans: plansOf(plans), cachedAt, ...(account ? { account } : {}) })
    ctx.log('[Plan pricing cached]')
    ctx.log('[Inventory cached successfully]')
    ctx.emit(INSTANCES_CACHED, { cachedAt })
    return { hosts: instances.length, cachedAt }
  }

  /** Seed 000's deploy starts the instances of `instance.yaml` first; the cache then shows them. */
  const startInstances = async (ctx: Context, service: string, dir: string) => {
    ctx.log(`--- Starting instances for ${service} ---`)
    const run: StepRunner = (provider, action, input) => step(engine, ctx, provider, action, input)
    const started = await startServiceInstances(run, (line) => ctx.log(line), dir).catch((error: unknown) => {
      if (error instanceof InstanceFileError) ctx.log(`[ERROR: ${messageOf(error)}]`)
      throw error
    })
    if (started.length > 0) await cacheInventory(ctx)
  }

  const runPlaybook = (ctx: Context, playbook: string, dir: string, vaultPassword: string | undefined) => {
    const inventory = join(dir, 'outputs', 'temp_inventory.yaml')
    return step(engine, ctx, 'ansible', 'playbook.run', {
      playbook,
      cwd: dir,
      ...(existsSync(inventory) ? { inventory } : {}),
      ...(vaultPassword ? { vaultPassword } : {}),
    })
  }

  /**
   * `bash <script>` in the service folder. The folders are also in the environment
   * (`SERVICES_DIR`, `SERVICE_DIR`), and a script that names the real backend's container paths
   * runs with them mapped to this server's (container-paths.ts), saying so in its output.
   */
  const runScript = async (ctx: Context, input: Pick<z.output<typeof scriptInput>, 'dir' | 'file' | 'inputs'>, vaultFile: string | undefined) => {
    const script = join(input.dir, input.file)
    const servicesDir = dirname(input.dir)
    // ansible-playbook in the script reads the vault password file from the environment.
    const env: Record<string, string> = {
      SERVICES_DIR: servicesDir,
      SERVICE_DIR: input.dir,
      ...(vaultFile ? { ANSIBLE_VAULT_PASSWORD_FILE: vaultFile, VAULT_PASSWORD_FILE: vaultFile } : {}),
    }
    const common = { cwd: input.dir, env, inputs: input.inputs }
    const original = await readFile(script, 'utf8').catch(() => undefined)
    const mapped = original === undefined ? undefined : mapContainerPaths(original, { servicesDir, vaultFile })
    for (const path of mapped?.missing ?? []) ctx.log(`[Warning: ${input.file} uses ${path}, which exists only in CloudLab Manager's container]`)
    if (!mapped || mapped.mapped.length === 0) return step(engine, ctx, 'exec', 'run', { command: 'bash', args: [script], ...common })
    ctx.log(`[Container paths mapped: ${mapped.mapped.join('; ')}]`)
    return step(engine, ctx, 'exec', 'run', { script: keepingScriptName(mapped.text, script), ...common })
  }

  return defineProvider({
    name: CLOUDLAB_PROVIDER,
    description: 'CloudLab Manager jobs: service scripts and playbooks, instance stops and inventory refreshes',
    actions: {
      'service.run': {
        description:
          "Runs a service's deploy.sh, a scripts.yaml script (inputs as INPUT_<NAME>), or seed 000's deploy: instance.yaml's instances on Vultr, then main.yaml against them",
        input: scriptInput,
        async run(ctx, input) {
          if (input.kind === 'playbook') await startInstances(ctx, input.service, input.dir)
          return withVaultFile(runtime, async (vaultFile, vaultPassword) => {
            if (input.kind === 'playbook') {
              // Seed 000's last steps: docker-base/main.yaml (when the services folder has it), then the service's own.
              const base = join(dirname(input.dir), 'docker-base', 'main.yaml')
              if (input.service !== 'docker-base' && existsSync(base)) {
                ctx.log(`--- Running docker-base/main.yaml for ${input.service} ---`)
                await runPlaybook(ctx, base, input.dir, vaultPassword)
              }
              ctx.log(`--- Running ${input.title} for ${input.service} ---`)
              return runPlaybook(ctx, input.file, input.dir, vaultPassword)
            }
            ctx.log(`--- Running ${input.title} for ${input.service} ---`)
            return runScript(ctx, input, vaultFile)
          })
        },
      },
      'inventory.action': {
        description:
          "Runs an inventory type's action: its script (exec), playbook (ansible, with the vault password of setup) or stop of the service's instances",
        input: inventoryActionInput,
        async run(ctx, input) {
          ctx.log(input.banner)
          const { step: work } = input
          if (work.run === 'script') return withVaultFile(runtime, (vaultFile) => runScript(ctx, work.input, vaultFile))
          // Its own steps write their failures; this one adds none.
          if (work.run === 'stop') return runStep(engine, ctx, CLOUDLAB_PROVIDER, 'instances.stop', work.input)
          // Read when the job runs, so that the vault password stays out of the job record.
          return withVaultFile(runtime, (_file, vaultPassword) =>
            step(engine, ctx, 'ansible', 'playbook.run', { ...work.input, ...(vaultPassword ? { vaultPassword } : {}) }),
          )
        },
      },
      'instances.stop': {
        description: "Destroys Vultr instances: a service's (tagged with its name or labelled as in its instance.yaml), all, or one by label and region",
        input: stopInput,
        async run(ctx, input) {
          if (input.scope === 'instance') {
            ctx.log(`--- Destroying instance: ${input.label} (${input.region}) ---`)
            const instances = await step<VultrInstance[]>(engine, ctx, 'vultr', 'instance.list', { label: input.label, region: input.region })
            const matching = instances.filter((instance) => instance.label === input.label && instance.region === input.region)
            if (matching.length === 0) {
              ctx.log(`[ERROR: no instance labelled ${input.label} in ${input.region}]`)
              throw new StepFailed(`no instance labelled ${input.label} in ${input.region}`)
            }
            await destroy(ctx, matching)
            return { destroyed: matching.map(hostNameOf) }
          }
          const instances = await readInventory(engine, ctx)
          let matching = instances
          if (input.scope === 'service') {
            ctx.log(`--- Stopping ${input.service} instances ---`)
            const labels = new Set(input.labels)
            matching = instances.filter((instance) => (instance.tags ?? []).includes(input.service) || labels.has(instance.label))
          } else ctx.log('--- Stopping all instances ---')
          ctx.log(`${matching.length} instance(s) to destroy`)
          await destroy(ctx, matching)
          return { destroyed: matching.map(hostNameOf) }
        },
      },
      'inventory.refresh': {
        description: 'Reads the Vultr instances and plan prices into the cached inventory that /api/instances and /api/costs answer from',
        idempotent: true,
        input: refreshInput,
        async run(ctx, input) {
          ctx.log(input.banner)
          return cacheInventory(ctx)
        },
      },
    },
  })
}

function register(engine: Engine, vault?: CloudlabVault): ProviderRuntime {
  const runtime = createRuntime(vault)
  runtimes.set(engine, runtime)
  engine.addProvider(cloudlabProvider(engine, runtime))
  return runtime
}

/**
 * The cloudlab provider as an engine plugin, for servers that build their engine before the
 * surface: registered before queued jobs resume, so a deploy queued before a restart runs after
 * it (with the vault the surface brings once served).
 *
 * ```ts
 * const engine = createEngine({ storage, providers, plugins: [cloudlabJobs()] })
 * ```
 */
export function cloudlabJobs(): Plugin {
  return definePlugin({
    name: 'cloudlab-jobs',
    setup(engine) {
      if (!runtimes.has(engine)) register(engine)
    },
  })
}

/**
 * Points the engine's cloudlab provider at this surface's vault, registering the provider first
 * when no `cloudlabJobs()` plugin did. Jobs of this provider are ordinary engine jobs: the
 * orchestrator lists them, and they persist with the engine's storage.
 */
export function useCloudlabProvider(engine: Engine, vault: CloudlabVault): InstanceCacheStore {
  const runtime = runtimes.get(engine)
  if (runtime) runtime.bind(vault)
  else register(engine, vault)
  return new InstanceCacheStore(engine.providers.get(CLOUDLAB_PROVIDER)!.storage)
}
