// One engine of the cluster bench, in its own process: storage and dispatch on the Redis in
// REDIS_URL. Its parent sends `{ jobs: n }`: it submits n no-op jobs, one `submit` each, counts
// their `completed` events (relayed from whichever node ran each), then answers with the CPU
// time it spent; `'stop'` stops it.
import { createEngine, defineProvider } from '@provisio/engine'
import { bullmqDispatcher } from '@provisio/engine/bullmq'
import { createStorage } from 'unstorage'
import redisDriver from 'unstorage/drivers/redis'
import { z } from 'zod'

const url = process.env.REDIS_URL!
const base = process.env.CLUSTER_BASE!

const bench = defineProvider({
  name: 'bench',
  actions: { noop: { input: z.object({}), run: async () => null } },
})

const storage = createStorage({ driver: redisDriver({ url, base, enableAutoPipelining: true }) })
const engine = createEngine({
  storage,
  providers: [bench],
  concurrency: Number(process.env.CONCURRENCY),
  dispatcher: bullmqDispatcher({ connection: url, prefix: base, concurrency: Number(process.env.NODE_CONCURRENCY) }),
})

/** Ids that completed, and the one waiting for the last of this node's jobs to be among them. */
const completed = new Set<string>()
let waiting: { ids: Set<string>; done: () => void } | undefined
engine.on('job:status', ({ id, status }) => {
  if (status !== 'completed') return
  completed.add(id)
  if (waiting?.ids.delete(id) && !waiting.ids.size) waiting.done()
})

async function submitAndWait(count: number): Promise<void> {
  const submitted = await Promise.all(Array.from({ length: count }, () => engine.jobs.submit({ provider: 'bench', action: 'noop' })))
  const ids = new Set(submitted.map((job) => job.id).filter((id) => !completed.has(id)))
  if (ids.size) await new Promise<void>((done) => (waiting = { ids, done }))
}

process.on('message', (message: { jobs: number } | 'stop') => {
  if (message === 'stop') {
    void engine
      .stop()
      .then(() => storage.dispose())
      .then(() => process.exit(0))
    return
  }
  const cpu = process.cpuUsage()
  submitAndWait(message.jobs).then(
    () => {
      const used = process.cpuUsage(cpu)
      process.send!({ cpuMs: (used.user + used.system) / 1000 })
    },
    (error: Error) => {
      console.error(error)
      process.exit(1)
    },
  )
})

await engine.start()
process.send!('started')
