import type { JobClaims } from './types'

export interface HeldClaimsOptions {
  claims: JobClaims
  owner: string
  leaseMs: number
  /** A lease that could not be renewed: another worker may have taken the job. */
  onLost: (jobId: string) => void
  onError: (error: unknown, context: string) => void
}

/** The claims one worker holds, renewed together every third of a lease while it holds any. */
export class HeldClaims {
  private readonly held = new Set<string>()
  private renewTimer?: NodeJS.Timeout

  constructor(private readonly options: HeldClaimsOptions) {}

  has(jobId: string): boolean {
    return this.held.has(jobId)
  }

  async acquire(jobId: string): Promise<boolean> {
    if (this.held.has(jobId)) return true
    const { claims, owner, leaseMs } = this.options
    if (!(await claims.acquire(jobId, owner, leaseMs))) return false
    this.held.add(jobId)
    this.renewTimer ??= setInterval(() => void this.renewAll(), Math.max(1, Math.floor(leaseMs / 3))).unref()
    return true
  }

  async release(jobId: string): Promise<void> {
    if (!this.held.delete(jobId)) return
    if (!this.held.size) this.stopRenewing()
    await this.options.claims.release(jobId, this.options.owner)
  }

  stopRenewing(): void {
    clearInterval(this.renewTimer)
    this.renewTimer = undefined
  }

  private async renewAll(): Promise<void> {
    const { claims, owner, leaseMs } = this.options
    await Promise.all(
      [...this.held].map(async (jobId) => {
        try {
          if (await claims.renew(jobId, owner, leaseMs)) return
        } catch (error) {
          // A lease not renewed now may still be renewed in a third of a lease.
          this.options.onError(error, `renewing the claim on job ${jobId}`)
          return
        }
        if (this.held.delete(jobId)) this.options.onLost(jobId)
      }),
    )
  }
}
