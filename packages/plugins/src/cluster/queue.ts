import type { Engine, JobStatus } from '@provisio/engine'

export interface QueueCounts {
  running: number
  /** Waiting for a slot, or backing off before a retry. */
  queued: number
}

const queuedStatuses: JobStatus[] = ['pending', 'retrying']

/**
 * The job queue's figures for health answers and metrics, read from the job indexes every node
 * shares, so each node reports the cluster's queue. The one place they come from: a dispatcher
 * with counts of its own is read here.
 */
export async function queueCounts(engine: Engine): Promise<QueueCounts> {
  const [running, queued] = await Promise.all([engine.jobs.list({ status: 'running', limit: 1 }), engine.jobs.list({ status: queuedStatuses, limit: 1 })])
  return { running: running.total, queued: queued.total }
}
