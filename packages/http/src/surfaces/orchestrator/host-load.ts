import { cpus, freemem, loadavg, totalmem } from 'node:os'
import { lstat, readdir, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

interface CpuSample {
  at: number
  idle: number
  total: number
}

function sampleCpu(): CpuSample {
  let idle = 0
  let total = 0
  for (const cpu of cpus()) {
    const { user, nice, sys, irq, idle: idleTime } = cpu.times
    idle += idleTime
    total += user + nice + sys + irq + idleTime
  }
  return { at: Date.now(), idle, total }
}

let previous: CpuSample | undefined

/**
 * Busy share of every core, in percent, since the previous reading; the first reading (or one
 * right after another) measures over 100 ms.
 */
async function cpuUsage(): Promise<number> {
  let from = previous
  if (!from || Date.now() - from.at < 100) {
    from = sampleCpu()
    await sleep(100)
  }
  const now = sampleCpu()
  previous = now
  const total = now.total - from.total
  return total > 0 ? Math.round((1 - (now.idle - from.idle) / total) * 1000) / 10 : 0
}

/** Used share of the filesystem holding `path`, in percent; null when it cannot be read. */
async function diskUsage(path: string): Promise<{ percent: number; totalBytes: number; freeBytes: number } | null> {
  try {
    const stats = await statfs(path)
    const totalBytes = stats.blocks * stats.bsize
    const freeBytes = stats.bavail * stats.bsize
    return { percent: totalBytes ? Math.round((1 - freeBytes / totalBytes) * 1000) / 10 : 0, totalBytes, freeBytes }
  } catch {
    return null
  }
}

/** This host's CPU, memory, disk and load figures, as `/state/system/metrics` reports them. */
export async function hostLoad(dataDir: string) {
  const [cpu, disk] = await Promise.all([cpuUsage(), diskUsage(dataDir)])
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)
  return {
    cpu_usage: cpu,
    memory_usage: mb(totalmem() - freemem()),
    memory_total: mb(totalmem()),
    disk_usage: disk?.percent ?? null,
    disk_free: disk ? mb(disk.freeBytes) : null,
    load_average: loadavg().map((value) => Math.round(value * 100) / 100),
    cpus: cpus().length,
  }
}

/** Bytes of the files under `dir`, walked breadth-first; 0 when it does not exist. */
export async function directoryBytes(dir: string): Promise<number> {
  let bytes = 0
  const pending = [dir]
  while (pending.length) {
    const current = pending.pop()!
    const entries = await readdir(current, { withFileTypes: true }).catch(() => [])
    for (const entry of entries) {
      const path = join(current, entry.name)
      if (entry.isDirectory()) pending.push(path)
      else if (entry.isFile()) bytes += (await lstat(path).catch(() => ({ size: 0 }))).size
    }
  }
  return bytes
}
