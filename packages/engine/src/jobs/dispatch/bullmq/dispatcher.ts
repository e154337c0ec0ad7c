import { DelayedError, Queue, Worker, type Job } from 'bullmq'
import Redis, { type RedisOptions } from 'ioredis'
import { createOwner } from '../../claims'
import type { StoredJob } from '../../store'
import type { DispatchNode, JobDispatcher } from '../types'
import { KeySlots } from './key-slots'
import { EventRelay } from './relay'

export interface BullmqDispatcherOptions {
  /** The Redis to share: a `redis://` URL or ioredis options. */
  connection: string | RedisOptions
  /** Prefix of every key BullMQ and the dispatcher write. Default `provisio`. */
  prefix?: string
  /** The BullMQ queue's name; nodes of one cluster share it. Default `dispatch` (apart from the storage's `jobs:` keys under the same prefix). */
  queueName?: string
  /** This node's name (BullMQ's worker name). Default `<host>/<pid>/<random>`. */
  nodeId?: string
  /**
   * Jobs this node runs at once (its BullMQ worker's concurrency). Default: the engine's
   * `concurrency`, the limit for the whole cluster, so that a lone node can reach it. With several
   * nodes, a share of it each costs less: workers that ask for more jobs than the cluster may run
   * spend Redis calls on being refused.
   */
  concurrency?: number
}

/**
 * What BullMQ carries per job: the key is read before a slot is taken, and the queued record
 * is run from on the job's first delivery, without a storage read.
 */
interface DispatchData {
  key?: string
  record?: StoredJob
}

/** Waits before a job whose key is full is offered again: doubled per try, up to the cap. */
const KEY_RETRY_MS = 25
const KEY_RETRY_MAX_MS = 1000
/** Tries of a job whose run threw (Redis unreachable, say), a second apart. */
const ERROR_ATTEMPTS = 100

/** Queue and worker counts, for health and metrics pages. */
export interface DispatchCounts {
  waiting: number
  active: number
  delayed: number
  failed: number
  /** The names of the nodes whose BullMQ workers are connected now. */
  nodes: string[]
}

/**
 * Dispatches jobs over BullMQ: every engine on the same Redis takes jobs when
 * it has capacity, BullMQ's global concurrency is the engine's `concurrency`
 * for the whole cluster, each concurrency key's limit is a semaphore with
 * leases in Redis, and a node that dies is found by BullMQ's stalled-job check
 * (`lockDuration` = the claim lease). Events are relayed over Redis pub/sub.
 */
export class BullmqDispatcher implements JobDispatcher {
  readonly nodeId: string
  private readonly prefix: string
  private readonly queueName: string
  private readonly connections: Redis[] = []
  private queue?: Queue<DispatchData>
  private worker?: Worker<DispatchData>
  private relay?: EventRelay
  private slots?: KeySlots

  constructor(private readonly options: BullmqDispatcherOptions) {
    this.nodeId = options.nodeId ?? createOwner()
    this.prefix = options.prefix ?? 'provisio'
    this.queueName = options.queueName ?? 'dispatch'
  }

  async start(node: DispatchNode): Promise<void> {
    const client = this.connect()
    const connection = client as never
    this.queue = new Queue<DispatchData>(this.queueName, { connection, prefix: this.prefix })
    this.queue.on('error', (error) => node.onError(error, 'the BullMQ queue'))
    await this.queue.setGlobalConcurrency(node.concurrency)
    this.slots = new KeySlots(client, `${this.prefix}:${this.queueName}:key:`, node.leaseMs, node.onError)
    this.relay = new EventRelay({
      publisher: this.connect(),
      subscriber: this.connect(),
      channel: `${this.prefix}:${this.queueName}:events`,
      nodeId: this.nodeId,
      events: node.events,
      onCancel: (id, reason) => node.cancel(id, reason),
      onError: node.onError,
    })
    await this.relay.start()
    this.worker = new Worker<DispatchData>(this.queueName, (job, token) => this.process(node, job, token), {
      connection: this.connect() as never,
      prefix: this.prefix,
      name: this.nodeId,
      concurrency: Math.min(this.options.concurrency ?? node.concurrency, node.concurrency),
      // A node that stops renewing its locks (it died) has its jobs moved back to wait
      // within about a lease and a half; what then happens to each is the job's own policy.
      lockDuration: node.leaseMs,
      stalledInterval: Math.max(500, Math.round(node.leaseMs / 2)),
      maxStalledCount: Number.MAX_SAFE_INTEGER,
    })
    this.worker.on('error', (error) => node.onError(error, 'the BullMQ worker'))
    this.worker.on('lockRenewalFailed', (ids) => {
      for (const id of ids) node.lost(id)
    })
  }

  async dispatch(job: { id: string; concurrencyKey?: string }, record?: StoredJob): Promise<void> {
    await this.queue!.add(
      'job',
      { key: job.concurrencyKey, record },
      {
        jobId: job.id,
        removeOnComplete: true,
        removeOnFail: true,
        attempts: ERROR_ATTEMPTS,
        backoff: { type: 'fixed', delay: 1000 },
      },
    )
  }

  async withdraw(id: string): Promise<boolean> {
    // BullMQ removes a job only while no worker holds its lock; one that already ended is gone too.
    return (await this.queue!.remove(id)) === 1
  }

  get relaying(): boolean {
    return this.relay?.replaying ?? false
  }

  requestCancel(id: string, reason?: string): void {
    this.relay?.requestCancel(id, reason)
  }

  /** The queue's counts and the connected nodes. */
  async counts(): Promise<DispatchCounts> {
    const queue = this.queue
    if (!queue) return { waiting: 0, active: 0, delayed: 0, failed: 0, nodes: [] }
    const [counts, workers] = await Promise.all([queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'), queue.getWorkers()])
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      // A named worker's Redis clients are called `<prefix>:<queue>:w:<name>`.
      nodes: [...new Set(workers.map(({ rawname = '' }) => rawname.slice(rawname.indexOf(':w:') + 3)).filter(Boolean))].sort(),
    }
  }

  async stop(): Promise<void> {
    // Closing waits for the runs in progress: the node settles them (ended, or released) as it stops.
    await this.worker?.close()
    await this.relay?.stop()
    await this.queue?.close()
    await Promise.all(this.connections.map((connection) => connection.quit().catch(() => connection.disconnect())))
  }

  private async process(node: DispatchNode, job: Job<DispatchData>, token?: string): Promise<void> {
    const id = job.id!
    const key = job.data.key
    const slot = key === undefined ? undefined : await this.slots!.acquire(key, id, node.concurrencyKeys[key] ?? 1)
    if (key !== undefined && !slot) return this.later(job, token, Math.min(KEY_RETRY_MAX_MS, KEY_RETRY_MS * 2 ** Math.min(6, job.attemptsStarted)))
    try {
      // Only the first delivery runs from the carried record: a job offered again (a stalled node's,
      // or one put back) may have moved on in the storage.
      const outcome = await node.run(id, job.attemptsStarted === 1 ? job.data.record : undefined)
      if (outcome === 'busy') return this.later(job, token, node.leaseMs / 4)
      if (outcome === 'released') return this.later(job, token, 0)
    } finally {
      await slot?.release()
    }
  }

  /** Offers the job again after `delayMs` (to any node): BullMQ's pattern for a processor that cannot run it now. */
  private async later(job: Job<DispatchData>, token: string | undefined, delayMs: number): Promise<never> {
    await job.moveToDelayed(Date.now() + delayMs, token)
    throw new DelayedError()
  }

  private connect(): Redis {
    const { connection } = this.options
    // BullMQ's workers block on Redis and must never give up a command: no retry limit.
    const client =
      typeof connection === 'string' ? new Redis(connection, { maxRetriesPerRequest: null }) : new Redis({ ...connection, maxRetriesPerRequest: null })
    // ioredis reconnects by itself; what a lost connection breaks is reported by the queue's and worker's error events.
    client.on('error', () => {})
    this.connections.push(client)
    return client
  }
}

/**
 * A dispatcher over BullMQ on a shared Redis; pass it with a shared storage:
 * `createEngine({ storage, dispatcher: bullmqDispatcher({ connection: 'redis://…' }) })`.
 */
export function bullmqDispatcher(options: BullmqDispatcherOptions): BullmqDispatcher {
  return new BullmqDispatcher(options)
}
