import type { Claims } from './types'

export interface HeldClaimsOptions {
  claims: Claims
  owner: string
  leaseMs: number
  /** A lease that could not be renewed: another engine may have taken what it held. */
  onLost: (id: string) => void
  onError: (error: unknown, context: string) => void
}

/** The claims one worker (of jobs) or one engine (of workflows) holds, renewed together every third of a lease while it holds any. */
export class HeldClaims {
  private readonly held = new Set<string>()
  /** Ids held under a lock another part keeps (a dispatcher's lock on the job): no lease here to renew or release. */
  private readonly entrusted = new Set<string>()
  private renewTimer?: NodeJS.Timeout

  constructor(private readonly options: HeldClaimsOptions) {}

  has(id: string): boolean {
    return this.held.has(id) || this.entrusted.has(id)
  }

  /** Holds `id` under a lock kept elsewhere: `has` is true until it is released. */
  entrust(id: string): void {
    this.entrusted.add(id)
  }

  isEntrusted(id: string): boolean {
    return this.entrusted.has(id)
  }

  async acquire(id: string): Promise<boolean> {
    if (this.has(id)) return true
    const { claims, owner, leaseMs } = this.options
    if (!(await claims.acquire(id, owner, leaseMs))) return false
    this.held.add(id)
    this.renewTimer ??= setInterval(() => void this.renewAll(), Math.max(1, Math.floor(leaseMs / 3))).unref()
    return true
  }

  async release(id: string): Promise<void> {
    if (this.entrusted.delete(id) || !this.held.delete(id)) return
    if (!this.held.size) this.stopRenewing()
    await this.options.claims.release(id, this.options.owner)
  }

  stopRenewing(): void {
    clearInterval(this.renewTimer)
    this.renewTimer = undefined
  }

  private async renewAll(): Promise<void> {
    const { claims, owner, leaseMs } = this.options
    await Promise.all(
      [...this.held].map(async (id) => {
        try {
          if (await claims.renew(id, owner, leaseMs)) return
        } catch (error) {
          // A lease not renewed now may still be renewed in a third of a lease.
          this.options.onError(error, `renewing the claim on ${id}`)
          return
        }
        if (this.held.delete(id)) this.options.onLost(id)
      }),
    )
  }
}
