/**
 * Leases kept by the storage the engines share: a worker runs a job, and an
 * engine drives a workflow, only while it holds its claim, so two engines on
 * one storage never run the same job or workflow. A claim lapses `leaseMs`
 * after it was taken or last renewed, so what a dead engine held is found and
 * taken over by another.
 */
export interface Claims {
  /** Claims `id` for `owner`; false while another owner holds an unexpired lease on it. */
  acquire(id: string, owner: string, leaseMs: number): Promise<boolean>
  /** Extends the lease `owner` holds; false when it lapsed and the claim is no longer its own. */
  renew(id: string, owner: string, leaseMs: number): Promise<boolean>
  /** Gives the claim up, if `owner` still holds it. */
  release(id: string, owner: string): Promise<void>
}

/** The claims on jobs (the name the worker's options and the conformance suite use). */
export type JobClaims = Claims

/** What is claimed: each kind has its own claims, so a job, a workflow and a named cluster-wide lease (periodic work, webhook deliveries) never share one. */
export type ClaimKind = 'jobs' | 'workflows' | 'leases'
