// No-op jobs through engines on 1, 2 and 3 processes sharing one Redis (storage, BullMQ dispatch,
// relayed events), beside bare BullMQ's own rate for no-op jobs on the same redis-server, in one run.
// Run: npm run bench -- cluster (needs redis-server on the PATH)
import { fork, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Queue, Worker } from 'bullmq'
import Redis from 'ioredis'
import { startRedis } from '../test/helpers/redis'

const JOBS = 6000
/** Jobs running at once per node; the cluster-wide limit is this times the nodes. */
const CONCURRENCY = 8

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

/** Bare BullMQ: one worker (concurrency 8) over no-op jobs added one `add` at a time, as the engine adds them. */
async function bareBullmq(url: string, prefix: string): Promise<number> {
  const connection = new Redis(url, { maxRetriesPerRequest: null })
  const queue = new Queue('bare', { connection, prefix })
  let completed = 0
  let finish!: () => void
  const finished = new Promise<void>((resolve) => (finish = resolve))
  const worker = new Worker('bare', async () => null, { connection: new Redis(url, { maxRetriesPerRequest: null }), prefix, concurrency: CONCURRENCY })
  worker.on('completed', () => {
    if (++completed === JOBS) finish()
  })
  await worker.waitUntilReady()
  const started = performance.now()
  await Promise.all(Array.from({ length: JOBS }, () => queue.add('noop', {}, { removeOnComplete: true })))
  await finished
  const rate = JOBS / ((performance.now() - started) / 1000)
  await worker.close()
  await queue.close()
  connection.disconnect()
  return rate
}

function startNode(url: string, base: string, concurrency: number): Promise<ChildProcess> {
  const child = fork(new URL('./lib/cluster-node.ts', import.meta.url).pathname, {
    execArgv: ['--conditions=source', '--import', tsx],
    env: { ...process.env, REDIS_URL: url, CLUSTER_BASE: base, CONCURRENCY: String(concurrency) },
  })
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child))
    child.once('exit', (code) => reject(new Error(`a bench node exited (${code})`)))
  })
}

/** `nodes` engines, each submitting its share of JOBS; the rate is from the first submit to the last completion. */
async function cluster(url: string, nodes: number): Promise<number> {
  const base = `bench-${nodes}`
  const children = await Promise.all(Array.from({ length: nodes }, () => startNode(url, base, CONCURRENCY * nodes)))
  const share = Math.ceil(JOBS / nodes)
  const started = performance.now()
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('message', () => resolve())
          child.send({ jobs: share })
        }),
    ),
  )
  const rate = (share * nodes) / ((performance.now() - started) / 1000)
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          child.once('exit', resolve)
          child.send('stop')
        }),
    ),
  )
  return rate
}

export async function benchCluster(): Promise<void> {
  const redis = await startRedis()
  try {
    // Warm-ups: BullMQ's scripts loaded, and the engine's modules compiled once.
    await bareBullmq(redis.url, 'warm')
    const bare = await bareBullmq(redis.url, 'bare')
    const rates: number[] = []
    for (const nodes of [1, 2, 3]) rates.push(await cluster(redis.url, nodes))
    const bareAfter = await bareBullmq(redis.url, 'bare-after')
    const reference = (bare + bareAfter) / 2
    console.log(`bare BullMQ (1 worker, concurrency ${CONCURRENCY}, ${JOBS} no-op jobs): ${Math.round(bare)} and ${Math.round(bareAfter)} jobs/s`)
    for (const [index, rate] of rates.entries())
      console.log(`engine, ${index + 1} node(s) on one Redis: ${Math.round(rate)} jobs/s (${Math.round((100 * rate) / reference)}% of bare BullMQ)`)
  } finally {
    await redis.stop()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await benchCluster()
