import { ApiError } from '../../platform/errors'
import { toVm, toVmConfig, vmStatus, type TartListEntry, type VmConfigModel, type VmModel } from './models'
import type { TartCli } from './tart-cli'

export interface InventoryOptions {
  /** How often the background refresh runs. Default 10 000 ms (the real server's interval). */
  intervalMs?: number
  /** How long a VM's `tart get` answer is kept. Default one hour, as the real server. */
  configTtlMs?: number
}

const LIST_TIMEOUT_MS = 30_000
const GET_TIMEOUT_MS = 10_000
const IP_TIMEOUT_MS = 4_000
/** How long a read waits for the refresh that follows a finished task. */
const SETTLE_WAIT_MS = 5_000
/** `tart ip` calls at once during a refresh. */
const IP_CONCURRENCY = 3

const lastLine = (text: string) => text.trim().split('\n').filter(Boolean).at(-1) ?? ''

export function vmNotFound(): ApiError {
  return new ApiError(404, 'VM not found')
}

/**
 * The cached VM list: filled at start, refreshed in the background and on demand (`refresh`).
 * Each VM's `tart get` answer is cached too (it fills `os`, `cpu`, `memory`, `display`), and the
 * IP address of each running VM is asked on every refresh.
 */
export class Inventory {
  private vms = new Map<string, VmModel>()
  private readonly configs = new Map<string, { at: number; config: VmConfigModel }>()
  private running: Promise<VmModel[]> | undefined
  private queued: Promise<VmModel[]> | undefined
  private timer: NodeJS.Timeout | undefined
  private firstLoad: Promise<void> | undefined
  private settling: Promise<void> | undefined

  constructor(
    private readonly tart: () => TartCli,
    private readonly options: InventoryOptions = {},
  ) {}

  /** Fills the cache now and keeps refreshing it; failures leave the last list in place. */
  start(): void {
    this.firstLoad = this.refresh().then(
      () => {},
      () => {},
    )
    this.timer = setInterval(() => {
      if (!this.running) void this.refresh().catch(() => {})
    }, this.options.intervalMs ?? 10_000)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  /** The cached VMs by name, once the first fill and any refresh after a change have been tried. */
  async list(): Promise<VmModel[]> {
    await this.firstLoad
    await this.settled()
    return [...this.vms.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  async get(name: string): Promise<VmModel | undefined> {
    await this.firstLoad
    await this.settled()
    return this.vms.get(name)
  }

  /**
   * Asks tart again (`tart list`, `tart ip` per running VM). A refresh asked while one runs starts
   * after it (it may have listed before the change the caller knows of); callers meanwhile share it.
   */
  refresh(): Promise<VmModel[]> {
    if (!this.running) {
      this.running = this.load().finally(() => (this.running = undefined))
      return this.running
    }
    const settled = () => {
      this.queued = undefined
      return this.refresh()
    }
    this.queued ??= this.running.then(settled, settled)
    return this.queued
  }

  /** `tart get NAME --format json`, cached; `force` asks tart again. */
  async config(name: string, force = false): Promise<VmConfigModel> {
    const cached = this.configs.get(name)
    if (!force && cached && Date.now() - cached.at < (this.options.configTtlMs ?? 3_600_000)) return cached.config
    const output = await this.tart().run(['get', name, '--format', 'json'], GET_TIMEOUT_MS)
    if (output.exitCode !== 0) {
      if (/does not exist/.test(output.stderr + output.stdout)) throw vmNotFound()
      throw new ApiError(502, `tart get failed: ${lastLine(output.stderr || output.stdout) || `exit code ${output.exitCode}`}`)
    }
    let raw: Record<string, unknown>
    try {
      raw = JSON.parse(output.stdout) as Record<string, unknown>
    } catch {
      throw new ApiError(502, 'tart get printed something other than JSON')
    }
    const config = toVmConfig(name, raw)
    this.configs.set(name, { at: Date.now(), config })
    return config
  }

  /**
   * Tart changed something (a task ended): drops the VM's cached config and refreshes. Reads wait
   * for that refresh, so a client that saw the task end then sees its effect.
   */
  changed(name: string | undefined): void {
    if (name !== undefined) this.configs.delete(name)
    const settling: Promise<void> = this.refresh().then(
      () => {},
      () => {},
    )
    this.settling = settling
    void settling.then(() => {
      if (this.settling === settling) this.settling = undefined
    })
  }

  /** Waits for the refresh after a change, but no longer than `SETTLE_WAIT_MS`: a slow tart must not stall reads. */
  private async settled(): Promise<void> {
    if (!this.settling) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.settling, new Promise<void>((resolve) => (timer = setTimeout(resolve, SETTLE_WAIT_MS)))])
    clearTimeout(timer)
  }

  private async load(): Promise<VmModel[]> {
    const tart = this.tart()
    const output = await tart.run(['list', '--format', 'json'], LIST_TIMEOUT_MS)
    if (output.exitCode !== 0) throw new ApiError(502, `tart list failed: ${lastLine(output.stderr || output.stdout) || `exit code ${output.exitCode}`}`)
    let entries: TartListEntry[]
    try {
      entries = JSON.parse(output.stdout) as TartListEntry[]
    } catch {
      throw new ApiError(502, 'tart list printed something other than JSON')
    }
    const ips = await mapLimited(entries, IP_CONCURRENCY, (entry) => (vmStatus(entry) === 'running' ? this.ipOf(entry.Name) : Promise.resolve(null)))
    const configs = await mapLimited(entries, IP_CONCURRENCY, (entry) => this.config(entry.Name).catch(() => undefined))
    const vms = entries.map((entry, index) => toVm(entry, configs[index], ips[index]))
    this.vms = new Map(vms.map((vm) => [vm.name, vm]))
    return vms
  }

  private async ipOf(name: string): Promise<string | null> {
    const output = await this.tart()
      .run(['ip', name, '--wait', '2'], IP_TIMEOUT_MS)
      .catch(() => undefined)
    return output?.exitCode === 0 ? output.stdout.trim() || null : null
  }
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index])
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
