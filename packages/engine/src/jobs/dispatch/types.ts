import type { EngineEmitter } from '../../events'
import type { JobStore, StoredJob } from '../store'

/** How a dispatched job's run on this node ended. */
export type DispatchedRun =
  /** It ended (stored final), here or before it came here: the dispatcher forgets it. */
  | 'done'
  /** Another node holds its claim: the dispatcher offers it again later. */
  | 'busy'
  /** This node stopped before it ended: the dispatcher hands it to another node. */
  | 'released'

/** What a dispatcher asks of the node it runs on. */
export interface DispatchNode {
  /**
   * Runs a stored job here, through the same path as every local job (job machine, write-behind, output).
   * `carried`: the queued record handed over with the job on its first delivery, whose lock the
   * dispatcher holds for this node while it runs (it is the job's claim; nothing is read back);
   * without it, the job is claimed in the storage and read from there.
   */
  run(id: string, carried?: StoredJob): Promise<DispatchedRun>
  /** The dispatcher's lock on a job this node runs under it lapsed: another node may run it now. */
  lost(id: string): void
  /** Cancels a job if this node holds it (a cancel asked on another node). */
  cancel(id: string, reason?: string): void
  /** The engine's events: a dispatcher that spans nodes relays them between the nodes. */
  events: EngineEmitter
  store: JobStore
  /** Jobs running at once across the cluster, and per concurrency key (1 for a key not listed). */
  concurrency: number
  concurrencyKeys: Readonly<Record<string, number>>
  /** The claim lease; a dead node's jobs are found within about this long. */
  leaseMs: number
  onError: (error: unknown, context: string) => void
}

/**
 * Decides where and when jobs run; how they run stays the node's one run path.
 * Without a dispatcher an engine runs every job it is given in its own process.
 * `bullmqDispatcher` (from `@provisio/engine/bullmq`) spreads them over every
 * engine on one Redis.
 */
export interface JobDispatcher {
  /** A name for this node, unique in the cluster. */
  readonly nodeId: string
  /** Attaches the node: from now on it takes jobs when it has capacity. */
  start(node: DispatchNode): Promise<void>
  /**
   * Hands a stored, queued job to the cluster; resolves once it is acknowledged (dispatched once,
   * whatever the retries). `record`: the job as just stored, carried to the node that runs it.
   */
  dispatch(job: { id: string; concurrencyKey?: string }, record?: StoredJob): Promise<void>
  /** Takes a job back before any node runs it; false when a node holds it now. */
  withdraw(id: string): Promise<boolean>
  /** True while this node re-emits events another node published (see `engine.relaying`). */
  readonly relaying?: boolean
  /** Asks whichever node holds `id` to cancel it. */
  requestCancel(id: string, reason?: string): void
  /** Stops taking jobs; resolves once every job this node ran has been settled with the dispatcher. */
  stop(): Promise<void>
}
