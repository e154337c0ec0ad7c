import { createRequire } from 'node:module'

// autocannon ships no types; this is the part of its API the benches use.
interface AutocannonResult {
  requests: { average: number; total: number }
  non2xx: number
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: {
  url: string
  method?: 'GET' | 'POST'
  headers: Record<string, string>
  body?: string
  connections: number
  duration: number
}) => Promise<AutocannonResult>

export const CONNECTIONS = 32
export const SECONDS = 4
export const ROUNDS = 3
export const WARMUP_SECONDS = 2

/**
 * Requests per second of `url` under CONNECTIONS connections for `seconds`, how many answers were
 * not 2xx, and this process's CPU time per request (server and in-process client together): on a
 * shared machine the CPU a request takes moves much less than the requests a second do.
 */
export async function load(
  url: string,
  options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; seconds: number },
): Promise<{ rate: number; non2xx: number; cpuMicros: number }> {
  const cpu = process.cpuUsage()
  const result = await autocannon({
    url,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    body: options.body,
    connections: CONNECTIONS,
    duration: options.seconds,
  })
  const used = process.cpuUsage(cpu)
  return { rate: result.requests.average, non2xx: result.non2xx, cpuMicros: (used.user + used.system) / Math.max(1, result.requests.total) }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/** `12,345, 13,000` for a line of a bench report. */
export const rates = (values: number[]) => values.map((rate) => Math.round(rate).toLocaleString('en')).join(', ')

/**
 * Alternating rounds of a bare baseline and the measured side, so that both see the same
 * machine (its speed moves by half within a minute); each side is its median round.
 */
export async function alternate(baseline: () => Promise<number>, measured: () => Promise<number>): Promise<{ baseline: number[]; measured: number[] }> {
  const result = { baseline: [] as number[], measured: [] as number[] }
  for (let round = 0; round < ROUNDS; round++) {
    result.baseline.push(await baseline())
    result.measured.push(await measured())
  }
  return result
}
