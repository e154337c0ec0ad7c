// One engine of a test cluster, in its own process: storage and dispatch on the Redis given in
// REDIS_URL, driven by its parent over IPC (submit, wait, follow, counts, stop).
import { setTimeout as sleep } from 'node:timers/promises'
import { createEngine, defineProvider, type JobSubmission } from '@provisio/engine'
import { bullmqDispatcher } from '@provisio/engine/bullmq'
import { watchNotifications } from '@provisio/plugins'
import Redis from 'ioredis'
import { createStorage } from 'unstorage'
import redisDriver from 'unstorage/drivers/redis'
import { z } from 'zod'
import type { NodeReply, NodeRequest } from './protocol'

const url = process.env.REDIS_URL!
const base = process.env.CLUSTER_BASE!
const node = process.env.NODE_NAME!

/** Every run of a job appends its id here: the tests count runs per job. */
const runs = new Redis(url, { maxRetriesPerRequest: null })
const recordRun = (id: string) => runs.rpush(`${base}:runs`, id)

/** What a job saw of its run: the node that ran it and when, as the tests check them. */
const ran = (started: number) => ({ node, startedAt: started, endedAt: Date.now() })

const cluster = defineProvider({
  name: 'cluster',
  actions: {
    noop: {
      input: z.object({}).passthrough(),
      run: async (ctx) => {
        await recordRun(ctx.jobId)
        return { node }
      },
    },
    sleep: {
      input: z.object({ ms: z.number().int().min(0) }),
      run: async (ctx, input) => {
        await recordRun(ctx.jobId)
        const started = Date.now()
        await sleep(input.ms)
        return ran(started)
      },
    },
    lines: {
      input: z.object({ count: z.number().int().min(1), everyMs: z.number().int().min(0) }),
      run: async (ctx, input) => {
        for (let n = 0; n < input.count; n++) {
          ctx.log(`line ${n}`)
          await sleep(input.everyMs)
        }
        return ran(0)
      },
    },
    slowOnce: {
      input: z.object({ ms: z.number().int().min(0) }),
      run: async (ctx, input) => {
        ctx.log(`started on ${node}`)
        await sleep(input.ms)
        return ran(0)
      },
    },
    slowAgain: {
      idempotent: true,
      // `msOn`: a shorter run on the named nodes, so that a test need not wait out the long one again.
      input: z.object({ ms: z.number().int().min(0), msOn: z.record(z.string(), z.number().int().min(0)).optional() }),
      run: async (ctx, input) => {
        ctx.log(`started on ${node}`)
        await sleep(input.msOn?.[node] ?? input.ms)
        return ran(0)
      },
    },
  },
})

const storage = createStorage({ driver: redisDriver({ url, base, enableAutoPipelining: true }) })
const engine = createEngine({
  storage,
  providers: [cluster],
  concurrency: Number(process.env.CONCURRENCY ?? 8),
  concurrencyKeys: { shared: 2 },
  leaseMs: Number(process.env.LEASE_MS ?? 2000),
  dispatcher: bullmqDispatcher({ connection: url, prefix: base, nodeId: node, concurrency: Number(process.env.NODE_CONCURRENCY) || undefined }),
})
/** The ids of the jobs this node's notifier told of, and of those every job-status listener heard end. */
const notified: string[] = []
const heardEnd: string[] = []
/** The ids of the jobs a `job:created` listener heard, once the test asked for one (`listenCreated`). */
const created: string[] = []
watchNotifications(engine, (notification) => {
  if (notification.event.startsWith('task.')) notified.push((notification.data as { task_id: string }).task_id)
})
engine.on('job:status', ({ id, status }) => {
  if (status === 'completed') heardEnd.push(id)
})
engine.on('engine:error', ({ error, context }) => {
  if (process.env.SHOW_ERRORS) console.error(`[${node}] ${context}: ${error.message}`)
})

const reply = (message: NodeReply) => process.send!(message)

async function handle(request: NodeRequest): Promise<unknown> {
  switch (request.type) {
    case 'submit': {
      const ids: string[] = []
      for (const submission of request.jobs) ids.push((await engine.jobs.submit(submission as JobSubmission)).id)
      return ids
    }
    case 'wait':
      return Promise.all(request.ids.map((id) => engine.jobs.wait(id)))
    case 'get':
      return Promise.all(request.ids.map((id) => engine.jobs.get(id)))
    case 'cancel':
      return Promise.all(request.ids.map((id) => engine.jobs.cancel(id)))
    case 'output': {
      const lines = []
      for await (const line of engine.jobs.output(request.id, { from: request.from, follow: true })) lines.push(line)
      return { lines, job: await engine.jobs.get(request.id) }
    }
    case 'counts': {
      const counts = await (engine.dispatcher as ReturnType<typeof bullmqDispatcher>).counts()
      return counts
    }
    case 'notified':
      return { notified, heardEnd, created }
    case 'listenCreated':
      engine.on('job:created', ({ id }) => created.push(id))
      return null
    case 'stop':
      await engine.stop()
      await storage.dispose()
      runs.disconnect()
      return null
  }
}

process.on('message', (request: NodeRequest) => {
  handle(request).then(
    (result) => reply({ seq: request.seq, result }),
    (error: Error) => reply({ seq: request.seq, error: error.message }),
  )
})

process.on('disconnect', () => process.exit(0))
await engine.start()
reply({ seq: 0, result: 'started' })
