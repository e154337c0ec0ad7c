/**
 * Leases on jobs, kept by the storage the engines share: a worker runs a job
 * only while it holds the job's claim, so two engines on one storage never run
 * the same job. A claim lapses `leaseMs` after it was taken or last renewed,
 * so the jobs of a worker that died are found and taken by another.
 */
export interface JobClaims {
  /** Claims `jobId` for `owner`; false while another owner holds an unexpired lease on it. */
  acquire(jobId: string, owner: string, leaseMs: number): Promise<boolean>
  /** Extends the lease `owner` holds; false when it lapsed and the claim is no longer its own. */
  renew(jobId: string, owner: string, leaseMs: number): Promise<boolean>
  /** Gives the claim up, if `owner` still holds it. */
  release(jobId: string, owner: string): Promise<void>
}
