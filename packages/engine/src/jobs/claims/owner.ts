import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'

/** A worker's name in the claims it holds: `<host>/<pid>/<random>`, unique per worker. */
export function createOwner(): string {
  return `${hostname()}/${process.pid}/${randomUUID()}`
}

/**
 * Whether `owner` was a process of this host that no longer exists. Only
 * stores that live on one host (files) ask: there a lease held by a process
 * killed before it could release it is void at once, so an engine restarted
 * on the same data directory does not wait out the dead one's leases.
 */
export function isDeadLocalOwner(owner: string): boolean {
  const [host, pid] = owner.split('/')
  if (host !== hostname() || !/^\d+$/.test(pid ?? '')) return false
  if (Number(pid) === process.pid) return false
  try {
    process.kill(Number(pid), 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}
