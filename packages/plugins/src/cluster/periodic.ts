import { claimsFor, createOwner } from '@provisio/engine'
import type { Driver, Storage } from 'unstorage'

export interface EveryOptions {
  /** A run that threw; the next period runs again regardless. */
  onError?: (error: unknown) => void
}

/** The periods each name last ran in, per driver: several engines of one process on one storage run a task once. */
const lastRunByDriver = new WeakMap<Driver, Map<string, number>>()

/**
 * Whether this process takes period `index` of `name`. On Redis a claim (`SET NX PX`, the
 * engine's job claims) that lapses with the period, so of all nodes only the first to ask gets
 * it; any other store is one server's alone (the server opens its fs store exclusively),
 * where remembering the last period is enough.
 */
function periodTaker(storage: Storage): (name: string, index: number, periodMs: number) => Promise<boolean> {
  const { driver } = storage.getMount('')
  if (driver.name === 'redis') {
    const claims = claimsFor(storage, 'leases')
    const owner = createOwner()
    return (name, index, periodMs) => claims.acquire(`periodic:${name}:${index}`, owner, periodMs)
  }
  let lastRun = lastRunByDriver.get(driver)
  if (!lastRun) lastRunByDriver.set(driver, (lastRun = new Map()))
  const runs = lastRun
  return async (name, index) => {
    if ((runs.get(name) ?? -1) >= index) return false
    runs.set(name, index)
    return true
  }
}

/**
 * Runs `task` once per `periodMs` across every node sharing `storage`: periods are slices of the
 * wall clock (`floor(now / periodMs)`), each node wakes at the start of each one, and only the
 * node that takes the period's lease runs it. A node alone runs every period, as a timer would.
 * Nodes' clocks must agree to well within a period. Returns the function that stops it.
 */
export function every(storage: Storage, name: string, periodMs: number, task: () => unknown, options: EveryOptions = {}): () => void {
  if (!(periodMs >= 1)) throw new RangeError(`[provisio] [cluster] period of "${name}" must be at least 1 ms, got ${periodMs}`)
  const take = periodTaker(storage)
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined

  const runPeriod = async (index: number) => {
    try {
      if (await take(name, index, periodMs)) await task()
    } catch (error) {
      options.onError?.(error)
    }
  }
  const schedule = () => {
    if (stopped) return
    const now = Date.now()
    const next = (Math.floor(now / periodMs) + 1) * periodMs
    timer = setTimeout(() => {
      // A run still under way (a slow task) lets the period go: the next node to wake may take it.
      if (!running) running = runPeriod(Math.floor(Date.now() / periodMs)).finally(() => (running = undefined))
      schedule()
    }, next - now)
    timer.unref()
  }
  schedule()
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}
