// No-op jobs through engines on 1, 2 and 3 processes sharing one Redis (storage, BullMQ dispatch,
// relayed events), beside bare BullMQ's own rate for no-op jobs on the same redis-server, in one run.
// Beside each rate: the CPU time a job took in the Node processes and in redis-server, which a
// shared machine moves much less than the rates.
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

interface Measured {
  rate: number
  /** CPU microseconds per job in the Node processes, and in redis-server. */
  nodeCpu: number
  redisCpu: number
}

/** redis-server's CPU time so far, in milliseconds. */
async function redisCpuMs(client: Redis): Promise<number> {
  const info = await client.info('cpu')
  const field = (name: string) => Number(info.match(new RegExp(`${name}:([0-9.]+)`))?.[1] ?? 0)
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1000
}

/** Bare BullMQ: one worker (concurrency 8) over no-op jobs added one `add` at a time, as the engine adds them. */
async function bareBullmq(url: string, prefix: string, client: Redis): Promise<Measured> {
  const connection = new Redis(url, { maxRetriesPerRequest: null })
  const queue = new Queue('bare', { connection, prefix })
  let completed = 0
  let finish!: () => void
  const finished = new Promise<void>((resolve) => (finish = resolve))
  const workerConnection = new Redis(url, { maxRetriesPerRequest: null })
  const worker = new Worker('bare', async () => null, { connection: workerConnection, prefix, concurrency: CONCURRENCY })
  worker.on('completed', () => {
    if (++completed === JOBS) finish()
  })
  await worker.waitUntilReady()
  const redisBefore = await redisCpuMs(client)
  const cpu = process.cpuUsage()
  const started = performance.now()
  await Promise.all(Array.from({ length: JOBS }, () => queue.add('noop', {}, { removeOnComplete: true })))
  await finished
  const rate = JOBS / ((performance.now() - started) / 1000)
  const used = process.cpuUsage(cpu)
  const redisCpu = ((await redisCpuMs(client)) - redisBefore) * 1000
  await worker.close()
  await queue.close()
  connection.disconnect()
  workerConnection.disconnect()
  return { rate, nodeCpu: (used.user + used.system) / JOBS, redisCpu: redisCpu / JOBS }
}

function startNode(url: string, base: string, concurrency: number): Promise<ChildProcess> {
  const child = fork(new URL('./lib/cluster-node.ts', import.meta.url).pathname, {
    execArgv: ['--conditions=source', '--import', tsx],
    env: { ...process.env, REDIS_URL: url, CLUSTER_BASE: base, CONCURRENCY: String(concurrency), NODE_CONCURRENCY: String(CONCURRENCY) },
  })
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child))
    child.once('exit', (code) => reject(new Error(`a bench node exited (${code})`)))
  })
}

/** `nodes` engines, each submitting its share of JOBS; the rate is from the first submit to the last completion. */
async function cluster(url: string, nodes: number, client: Redis): Promise<Measured> {
  const base = `bench-${nodes}`
  const children = await Promise.all(Array.from({ length: nodes }, () => startNode(url, base, CONCURRENCY * nodes)))
  const share = Math.ceil(JOBS / nodes)
  const redisBefore = await redisCpuMs(client)
  const started = performance.now()
  const cpuMs = await Promise.all(
    children.map(
      (child) =>
        new Promise<number>((resolve) => {
          child.once('message', (message: { cpuMs: number }) => resolve(message.cpuMs))
          child.send({ jobs: share })
        }),
    ),
  )
  const rate = (share * nodes) / ((performance.now() - started) / 1000)
  const redisCpu = ((await redisCpuMs(client)) - redisBefore) * 1000
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          child.once('exit', resolve)
          child.send('stop')
        }),
    ),
  )
  const jobs = share * nodes
  return { rate, nodeCpu: (cpuMs.reduce((sum, ms) => sum + ms, 0) * 1000) / jobs, redisCpu: redisCpu / jobs }
}

const cpuOf = ({ nodeCpu, redisCpu }: Measured) => `${Math.round(nodeCpu)} + ${Math.round(redisCpu)} µs CPU a job (Node + redis-server)`

export async function benchCluster(): Promise<void> {
  const redis = await startRedis()
  const client = new Redis(redis.url)
  try {
    // Warm-ups: BullMQ's scripts loaded, and the engine's modules compiled once.
    await bareBullmq(redis.url, 'warm', client)
    const bare = await bareBullmq(redis.url, 'bare', client)
    const runs: Measured[] = []
    for (const nodes of [1, 2, 3]) runs.push(await cluster(redis.url, nodes, client))
    const bareAfter = await bareBullmq(redis.url, 'bare-after', client)
    const reference = (bare.rate + bareAfter.rate) / 2
    console.log(
      `bare BullMQ (1 worker, concurrency ${CONCURRENCY}, ${JOBS} no-op jobs): ${Math.round(bare.rate)} and ${Math.round(bareAfter.rate)} jobs/s, ${cpuOf(bare)}`,
    )
    for (const [index, run] of runs.entries())
      console.log(
        `engine, ${index + 1} node(s) on one Redis: ${Math.round(run.rate)} jobs/s (${Math.round((100 * run.rate) / reference)}% of bare BullMQ), ${cpuOf(run)}`,
      )
  } finally {
    client.disconnect()
    await redis.stop()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await benchCluster()
