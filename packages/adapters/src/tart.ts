import { mkdir, readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ActionContext } from '@provisio/engine'
import { defineProvider } from '@provisio/engine'
import { z } from 'zod'
import { parseJsonOutput, runTart } from './_tart/cli'
import { type TartGetOutput, type TartListEntry, type TartVmConfig, type TartVmSummary, toVmConfig, toVmSummary, vmFileName } from './_tart/vm'
import { createError, ProviderError } from './utils/error'
import { findExecutable, isAlive, signalGroup, startBackground } from './utils/process'

export type { TartErrorCode } from './_tart/cli'
export type { TartVmConfig, TartVmState, TartVmSummary } from './_tart/vm'

const PROVIDER_NAME = 'tart'

export const tartConfigSchema = z.object({
  /** The `tart` executable: a name looked up in `PATH`, or a path (the fake's `bin` in tests). */
  binary: z.string().default('tart'),
  /** Where `vm.run` writes each VM's console log (`<escaped name>.log`). */
  vmLogDir: z.string().default(join(homedir(), '.provisio', 'tart-logs')),
  /** Seconds `vm.run` and `vm.ip` wait for an IP address (`tart ip --wait`). */
  ipWaitSeconds: z.number().int().min(0).default(60),
  /** Seconds `tart stop --timeout` gives the guest to shut down. */
  stopTimeoutSeconds: z.number().int().min(0).default(30),
  /** How long `vm.stop` and rollbacks wait after SIGTERM before SIGKILL when killing a run. */
  killGraceMs: z.number().int().min(0).default(2000),
  /** Upper bound of each command, in ms; for `ip` and `stop` on top of their own wait. */
  timeouts: z
    .object({
      list: z.number().int().positive().default(30_000),
      get: z.number().int().positive().default(30_000),
      ip: z.number().int().positive().default(15_000),
      stop: z.number().int().positive().default(15_000),
      delete: z.number().int().positive().default(60_000),
      clone: z.number().int().positive().default(600_000),
      set: z.number().int().positive().default(60_000),
      pull: z.number().int().positive().default(3_600_000),
    })
    .prefault({}),
})

export type TartConfig = z.output<typeof tartConfigSchema>
export type TartOptions = z.input<typeof tartConfigSchema>

const vmName = z
  .string()
  .min(1)
  .refine((name) => !name.startsWith('-'), 'a VM name cannot start with "-"')

export const tartInputs = {
  'vm.list': z.object({ source: z.enum(['local', 'oci']).optional() }),
  'vm.get': z.object({ name: vmName }),
  'vm.ip': z.object({ name: vmName, wait: z.number().int().min(0).optional() }),
  'vm.run': z.object({
    name: vmName,
    /** Start with a VNC server (`--vnc`); the result's `vnc_url` points at it. */
    vnc: z.boolean().default(false),
    /** Seconds to wait for an IP address; the adapter's `ipWaitSeconds` when omitted. */
    wait: z.number().int().min(0).optional(),
    /** Fail (and stop the VM) when no IP appears in time; with `false` the job completes with `ip_address: null`. */
    requireIp: z.boolean().default(true),
    /** More `tart run` options (`--dir`, `--net-bridged` …), passed after the others as separate arguments. */
    extraArgs: z.array(z.string()).default([]),
  }),
  'vm.stop': z.object({ name: vmName, timeout: z.number().int().min(0).optional() }),
  'vm.delete': z.object({ name: vmName }),
  'vm.pull': z.object({ name: vmName, concurrency: z.number().int().positive().optional() }),
  'vm.clone': z.object({ source: vmName, name: vmName }),
  'vm.create': z.object({
    source: vmName,
    name: vmName,
    cpu: z.number().int().positive().optional(),
    /** In MB. */
    memory: z.number().int().positive().optional(),
    /** In GB; tart only grows disks. */
    diskSize: z.number().int().positive().optional(),
    /** Start the new VM (as `vm.run`) once it is cloned and set. */
    run: z.object({ vnc: z.boolean().default(false), wait: z.number().int().min(0).optional(), requireIp: z.boolean().default(true) }).optional(),
  }),
  'vm.set': z
    .object({
      name: vmName,
      cpu: z.number().int().positive().optional(),
      /** In MB. */
      memory: z.number().int().positive().optional(),
      /** In GB; tart only grows disks. */
      diskSize: z.number().int().positive().optional(),
    })
    .refine((input) => input.cpu !== undefined || input.memory !== undefined || input.diskSize !== undefined, {
      message: 'give at least one of cpu, memory, diskSize',
    }),
}

type Inputs = { [K in keyof typeof tartInputs]: z.output<(typeof tartInputs)[K]> }
type Ctx = ActionContext<TartConfig>

export interface TartRunResult {
  ip_address: string | null
  vnc_url: string | null
  pid: number
  log_path: string
}

/** What `vm.run` remembers about a run, so `vm.stop` can kill it when `tart stop` does not work. */
interface RunRecord {
  pid: number
  logPath: string
  startedAt: string
}

const runKey = (name: string) => `runs:${vmFileName(name)}`

/** Marks an output line that tart wrote to stderr, as the tartvm server shows it. */
export const TART_STDERR_PREFIX = '[stderr] '

/** Runs a tart command for a job: the command line and tart's stderr lines go to the job's output. */
function tartCommand(ctx: Ctx, args: string[], timeoutMs: number, onLine?: (line: string) => void) {
  ctx.log(`$ tart ${args.join(' ')}`)
  return runTart(args, {
    binary: ctx.config.binary,
    signal: ctx.signal,
    timeoutMs,
    onLine,
    onStderrLine: (line) => ctx.log(`${TART_STDERR_PREFIX}${line}`),
  })
}

async function getVm(ctx: Ctx, name: string): Promise<TartVmConfig> {
  const result = await tartCommand(ctx, ['get', name, '--format', 'json'], ctx.config.timeouts.get)
  return toVmConfig(name, parseJsonOutput<TartGetOutput>(result, 'tart get'))
}

/** Ends a detached `tart run`: SIGTERM to its group, SIGKILL after the grace period. */
async function killRun(pid: number, graceMs: number): Promise<void> {
  const waitForExit = async (ms: number) => {
    const until = Date.now() + ms
    while (isAlive(pid) && Date.now() < until) await sleep(50)
  }
  signalGroup(pid, 'SIGTERM')
  await waitForExit(graceMs)
  if (!isAlive(pid)) return
  signalGroup(pid, 'SIGKILL')
  await waitForExit(1000)
}

async function stopVm(ctx: Ctx, name: string, timeout = ctx.config.stopTimeoutSeconds) {
  const { config } = ctx
  let forced = false
  try {
    await tartCommand(ctx, ['stop', name, '--timeout', String(timeout)], timeout * 1000 + config.timeouts.stop)
  } catch (error) {
    if (!(error instanceof ProviderError) || error.code === 'not_found' || error.code === 'aborted') throw error
    ctx.log(`tart stop did not stop ${name} (${error.message}); falling back`)
    const run = await ctx.storage.getItem<RunRecord>(runKey(name))
    if (run && isAlive(run.pid)) {
      ctx.log(`killing the tart run process ${run.pid}`)
      await killRun(run.pid, config.killGraceMs)
      forced = true
    } else {
      await tartCommand(ctx, ['stop', name], config.timeouts.stop)
    }
  }
  await ctx.storage.removeItem(runKey(name))
  return { name, stopped: true as const, forced }
}

async function readTail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '')
  return text.trim().split('\n').at(-1) ?? ''
}

async function runVm(ctx: Ctx, input: Omit<Inputs['vm.run'], 'extraArgs'> & { extraArgs?: string[] }): Promise<TartRunResult> {
  const { config } = ctx
  const binary = findExecutable(config.binary, { path: process.env.PATH })
  if (!binary) throw createError('tart', `${config.binary} not found: tart runs on macOS (brew install cirruslabs/cli/tart)`, { code: 'not_installed' })
  const wait = input.wait ?? config.ipWaitSeconds
  await mkdir(config.vmLogDir, { recursive: true })
  const logPath = join(config.vmLogDir, `${vmFileName(input.name)}.log`)
  const args = ['run', input.name, '--no-graphics', ...(input.vnc ? ['--vnc'] : []), ...(input.extraArgs ?? [])]
  ctx.log(`$ tart ${args.join(' ')} (detached, log ${logPath})`)
  const { pid } = startBackground({ file: binary, args, logPath })
  await ctx.storage.setItem<RunRecord>(runKey(input.name), { pid, logPath, startedAt: new Date().toISOString() })

  // `tart ip --wait` alone would wait out its whole timeout for a VM whose run already died.
  const waiting = new AbortController()
  const onAbort = () => waiting.abort()
  ctx.signal.addEventListener('abort', onAbort, { once: true })
  let runExited = false
  const watcher = setInterval(() => {
    if (!isAlive(pid)) {
      runExited = true
      waiting.abort()
    }
  }, 100)

  let ip: string | null = null
  try {
    const result = await runTart(['ip', input.name, '--wait', String(wait)], {
      binary,
      signal: waiting.signal,
      timeoutMs: wait * 1000 + config.timeouts.ip,
    })
    ip = result.lines.find((line) => line.trim())?.trim() ?? null
  } catch (error) {
    if (runExited && !ctx.signal.aborted) {
      await ctx.storage.removeItem(runKey(input.name))
      const reason = await readTail(logPath)
      const missing = /the specified VM "(.*)" does not exist/.exec(reason)
      if (missing) throw createError('tart', `the specified VM "${missing[1]}" does not exist`, { code: 'not_found' })
      throw createError('tart', `tart run ${input.name} exited before the VM got an IP address: ${reason || 'no output'}`, { code: 'command_failed' })
    }
    const noIp = error instanceof ProviderError && (error.code === 'timeout' || /no IP address found/.test(error.message))
    if (!noIp || input.requireIp) {
      ctx.log(`stopping ${input.name}: it is not usable`)
      await killRun(pid, config.killGraceMs)
      await ctx.storage.removeItem(runKey(input.name))
      if (noIp) throw createError('tart', `the VM "${input.name}" got no IP address within ${wait} s`, { code: 'no_ip', cause: error })
      throw error
    }
    ctx.log(`no IP address for ${input.name} after ${wait} s; it keeps running`)
  } finally {
    clearInterval(watcher)
    ctx.signal.removeEventListener('abort', onAbort)
  }

  const vncUrl = input.vnc ? (/vnc:\/\/\S+?(?=\.\.\.|\s|$)/.exec(await readFile(logPath, 'utf8').catch(() => ''))?.[0] ?? (ip ? `vnc://${ip}` : null)) : null
  if (ip) ctx.log(`${input.name} is running at ${ip}`)
  return { ip_address: ip, vnc_url: vncUrl, pid, log_path: logPath }
}

export interface TartCreateResult {
  name: string
  source: string
  /** The settings tart refused (a disk cannot shrink): the VM is kept with what it had. */
  warnings: string[]
  run: TartRunResult | null
}

/**
 * Clones `source`, then sets each setting with its own `tart set`, so one that tart refuses leaves
 * the others applied (a warning, as de taartenfabriek's create), then optionally starts the VM.
 */
async function createVm(ctx: Ctx, input: Inputs['vm.create']): Promise<TartCreateResult> {
  await tartCommand(ctx, ['clone', input.source, input.name], ctx.config.timeouts.clone)
  const settings: Array<[flag: string, value: number | undefined]> = [
    ['--cpu', input.cpu],
    ['--memory', input.memory],
    ['--disk-size', input.diskSize],
  ]
  const warnings: string[] = []
  for (const [flag, value] of settings) {
    if (value === undefined) continue
    try {
      await tartCommand(ctx, ['set', input.name, flag, String(value)], ctx.config.timeouts.set)
    } catch (error) {
      if (!(error instanceof ProviderError) || error.code !== 'command_failed') throw error
      const warning = `tart set ${flag} ${value} was refused: ${error.message}`
      ctx.log(`warning: ${warning}`)
      warnings.push(warning)
    }
  }
  const run = input.run ? await runVm(ctx, { name: input.name, ...input.run }) : null
  return { name: input.name, source: input.source, warnings, run }
}

/**
 * A provider that drives tart VMs on a macOS host.
 *
 * ```ts
 * const engine = createEngine({ providers: [tart({ vmLogDir: '/var/log/provisio/tart' })] })
 * await engine.jobs.submit({ provider: 'tart', action: 'vm.run', input: { name: 'ghcr.io/cirruslabs/macos-sequoia-base:latest', vnc: true } })
 * ```
 */
export const tartProvider = defineProvider<typeof tartConfigSchema, Inputs>({
  name: PROVIDER_NAME,
  description: 'Manages tart virtual machines (macOS hosts)',
  config: tartConfigSchema,
  actions: {
    'vm.list': {
      description: 'List local and pulled VMs (tart list)',
      input: tartInputs['vm.list'],
      idempotent: true,
      async run(ctx, input): Promise<TartVmSummary[]> {
        const args = ['list', '--format', 'json', ...(input.source ? ['--source', input.source] : [])]
        return parseJsonOutput<TartListEntry[]>(await tartCommand(ctx, args, ctx.config.timeouts.list), 'tart list').map(toVmSummary)
      },
    },
    'vm.get': {
      description: "A VM's configuration (tart get); memory in MB",
      input: tartInputs['vm.get'],
      idempotent: true,
      run: (ctx, input) => getVm(ctx, input.name),
    },
    'vm.ip': {
      description: "A running VM's IP address (tart ip --wait)",
      input: tartInputs['vm.ip'],
      idempotent: true,
      async run(ctx, input) {
        const wait = input.wait ?? ctx.config.ipWaitSeconds
        try {
          const result = await tartCommand(ctx, ['ip', input.name, '--wait', String(wait)], wait * 1000 + ctx.config.timeouts.ip)
          return { ip_address: result.lines.find((line) => line.trim())?.trim() ?? '' }
        } catch (error) {
          if (error instanceof ProviderError && /no IP address found/.test(error.message)) {
            throw createError('tart', `the VM "${input.name}" has no IP address after ${wait} s: is it running?`, { code: 'no_ip', exitCode: error.exitCode })
          }
          throw error
        }
      },
    },
    'vm.run': {
      description: 'Start a VM detached (tart run --no-graphics); completes once it has an IP address',
      input: tartInputs['vm.run'],
      run: runVm,
      undo: (ctx, input) => stopVm(ctx, input.name),
    },
    'vm.stop': {
      description: 'Stop a VM (tart stop --timeout), killing its run process if that fails',
      input: tartInputs['vm.stop'],
      run: (ctx, input) => stopVm(ctx, input.name, input.timeout),
    },
    'vm.delete': {
      description: 'Delete a stopped VM (tart delete)',
      input: tartInputs['vm.delete'],
      async run(ctx, input) {
        await tartCommand(ctx, ['delete', input.name], ctx.config.timeouts.delete)
        await ctx.storage.removeItem(runKey(input.name))
        return { name: input.name, deleted: true as const }
      },
    },
    'vm.pull': {
      description: 'Pull a VM image from an OCI registry (tart pull), reporting progress',
      input: tartInputs['vm.pull'],
      idempotent: true,
      async run(ctx, input) {
        const args = ['pull', input.name, ...(input.concurrency ? ['--concurrency', String(input.concurrency)] : [])]
        await tartCommand(ctx, args, ctx.config.timeouts.pull, (line) => {
          ctx.log(line)
          const percent = /(\d+(?:\.\d+)?)%/.exec(line)
          if (percent) ctx.progress(Math.min(100, Math.floor(Number(percent[1]))), 'pulling')
        })
        return { name: input.name }
      },
    },
    'vm.clone': {
      description: 'Clone a VM (tart clone); undo deletes the clone',
      input: tartInputs['vm.clone'],
      async run(ctx, input) {
        await tartCommand(ctx, ['clone', input.source, input.name], ctx.config.timeouts.clone)
        return { name: input.name, source: input.source }
      },
      async undo(ctx, input) {
        await tartCommand(ctx, ['delete', input.name], ctx.config.timeouts.delete)
      },
    },
    'vm.create': {
      description: 'Clone a VM, set its CPU, memory (MB) and disk (GB), optionally start it; undo stops and deletes it',
      input: tartInputs['vm.create'],
      run: createVm,
      async undo(ctx, input) {
        // A VM whose run already ended has nothing to stop; the delete then says what is left.
        if (input.run) await stopVm(ctx, input.name).catch(() => undefined)
        await tartCommand(ctx, ['delete', input.name], ctx.config.timeouts.delete)
      },
    },
    'vm.set': {
      description: "Change a VM's CPU count, memory (MB) or disk size (GB) (tart set)",
      input: tartInputs['vm.set'],
      idempotent: true,
      async run(ctx, input): Promise<TartVmConfig> {
        const args = ['set', input.name]
        if (input.cpu !== undefined) args.push('--cpu', String(input.cpu))
        if (input.memory !== undefined) args.push('--memory', String(input.memory))
        if (input.diskSize !== undefined) args.push('--disk-size', String(input.diskSize))
        await tartCommand(ctx, args, ctx.config.timeouts.set)
        return getVm(ctx, input.name)
      },
    },
  },
  resources: {
    async list({ config, signal }) {
      const result = await runTart(['list', '--format', 'json'], { binary: config.binary, signal, timeoutMs: config.timeouts.list })
      return parseJsonOutput<TartListEntry[]>(result, 'tart list').map(toVmSummary)
    },
  },
})

/** The tart provider with its configuration, ready for `createEngine({ providers })`. */
export function tart(config: TartOptions = {}) {
  return tartProvider.configure(config)
}
