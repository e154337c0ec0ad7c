/** One entry of `tart list --format json`, as tart prints it. */
export interface TartListEntry {
  Source: string
  Name: string
  Disk: number
  Size: number
  Accessed: string
  Running: boolean
  State: string
}

/** `tart get NAME --format json`, as tart prints it. */
export interface TartGetOutput {
  OS: string
  CPU: number
  Memory: number
  Disk: number
  DiskFormat?: string
  Size: string
  Display?: string
  Running: boolean
  State: string
}

export type TartVmState = 'running' | 'suspended' | 'stopped' | (string & {})

export interface TartVmSummary {
  name: string
  /** `local` or `OCI`. */
  source: string
  /** Disk size in GB. */
  disk: number
  /** Space used on the host in GB. */
  size: number
  accessed: string
  running: boolean
  state: TartVmState
}

export interface TartVmConfig {
  name: string
  os: string
  cpu: number
  /** In MB, as tart reports it. */
  memory: number
  /** In GB. */
  disk: number
  diskFormat?: string
  /** Space used on the host in GB. */
  size: number
  display?: string
  running: boolean
  state: TartVmState
}

export function toVmSummary(entry: TartListEntry): TartVmSummary {
  return {
    name: entry.Name,
    source: entry.Source,
    disk: entry.Disk,
    size: entry.Size,
    accessed: entry.Accessed,
    running: entry.Running,
    state: entry.State,
  }
}

export function toVmConfig(name: string, output: TartGetOutput): TartVmConfig {
  return {
    name,
    os: output.OS,
    cpu: output.CPU,
    memory: output.Memory,
    disk: output.Disk,
    diskFormat: output.DiskFormat,
    size: Number(output.Size),
    display: output.Display,
    running: output.Running,
    state: output.State,
  }
}

/** A file name for a VM: OCI names hold `/` and `:`, which must not become directories. */
export function vmFileName(name: string): string {
  return encodeURIComponent(name).replace(/^\.+/, (dots) => '%2E'.repeat(dots.length))
}
