import type { JobStatus } from '@provisio/engine'

/** 003's VM model. */
export interface VmModel {
  name: string
  status: 'running' | 'stopped' | 'unknown'
  ip_address: string | null
  source: string | null
  os: string | null
  cpu: number | null
  memory: string | null
  disk_size: number | string | null
  display: string | null
}

/** 003's VM config model: memory and disk normalised (`8G`, `50G`), tart's JSON in `raw`. */
export interface VmConfigModel {
  name: string
  cpu: number | null
  memory: string | null
  disk_size: string | null
  raw: Record<string, unknown>
}

export type TaskStatus = 'pending' | 'running' | 'completed' | 'failed'

/** 003's task model, plus `vm_name` / `oci_url`, which the real page shows in its task list. */
export interface TaskModel {
  id: string
  action: string
  status: TaskStatus
  command: string[] | null
  exit_code: number | null
  result: Record<string, unknown> | null
  error: string | null
  stderr: string | null
  created_at: number
  updated_at: number
  logs: string[]
  vm_name?: string
  oci_url?: string
}

/** One entry of `tart list --format json`. */
export interface TartListEntry {
  Name: string
  Source?: string
  Disk?: number
  Running?: boolean
  State?: string
}

/** `running` when tart says so, `stopped` for stopped or suspended, `unknown` for any other state. */
export function vmStatus(entry: { Running?: boolean; State?: string }): VmModel['status'] {
  if (entry.Running === true || entry.State === 'running') return 'running'
  if (entry.State === 'stopped' || entry.State === 'suspended') return 'stopped'
  // A tart too old to print `State` says only whether it runs.
  if (entry.State === undefined && entry.Running === false) return 'stopped'
  return 'unknown'
}

/** `8192` (MB) → `8G`, `6144` → `6G`, `1536` → `1.5G`; a string that is no number stays as it is. */
export function formatMemory(value: unknown): string | null {
  const mb = toNumber(value)
  if (mb === undefined) return typeof value === 'string' && value.trim() ? value.trim() : null
  return gigabytes(mb / 1024)
}

/** `50` (GB) → `50G`. */
export function formatDisk(value: unknown): string | null {
  const gb = toNumber(value)
  if (gb === undefined) return typeof value === 'string' && value.trim() ? value.trim() : null
  return gigabytes(gb)
}

function gigabytes(value: number): string {
  return Math.abs(value - Math.round(value)) < 1e-9 ? `${Math.round(value)}G` : `${value.toFixed(1)}G`
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'boolean' || value === null || value === undefined) return undefined
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : Number.NaN
  return Number.isFinite(number) ? number : undefined
}

const firstInt = (...values: unknown[]) => {
  for (const value of values) {
    const number = toNumber(value)
    if (number !== undefined && Number.isInteger(number)) return number
  }
  return null
}

export function toVmConfig(name: string, raw: Record<string, unknown>): VmConfigModel {
  return {
    name,
    cpu: firstInt(raw.CPU, raw.cpu, raw.cpus),
    memory: formatMemory(raw.Memory ?? raw.memory),
    disk_size: formatDisk(raw.Disk ?? raw.disk ?? raw.DiskSize),
    raw,
  }
}

export function toVm(entry: TartListEntry, config: VmConfigModel | undefined, ip: string | null): VmModel {
  const raw = config?.raw ?? {}
  return {
    name: entry.Name,
    status: vmStatus(entry),
    ip_address: ip,
    source: entry.Source ?? null,
    os: typeof raw.OS === 'string' ? raw.OS : null,
    cpu: config?.cpu ?? null,
    memory: config?.memory ?? null,
    disk_size: entry.Disk ?? null,
    display: typeof raw.Display === 'string' ? raw.Display : null,
  }
}

/** 003 knows four statuses: a retry between attempts still runs, a cancelled job failed. */
export function taskStatus(status: JobStatus): TaskStatus {
  switch (status) {
    case 'pending':
      return 'pending'
    case 'running':
    case 'retrying':
      return 'running'
    case 'completed':
      return 'completed'
    default:
      return 'failed'
  }
}

export const unixSeconds = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : Date.parse(iso) / 1000)
