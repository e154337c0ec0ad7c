// A Node app that embeds the engine: one small provider, three jobs, their output.
// Run: node --conditions=source --import tsx examples/embed.ts
import { z } from 'zod'
import { createEngine, defineProvider } from '@provisio/engine'

const dns = defineProvider({
  name: 'dns',
  actions: {
    'record.create': {
      description: 'Creates an A record (kept in the provider storage, as a stand-in for a DNS API).',
      input: z.object({ name: z.string().min(1), ip: z.ipv4() }),
      run: async (ctx, input) => {
        ctx.log(`creating ${input.name} -> ${input.ip}`)
        await ctx.storage.setItem(`records:${input.name}`, input.ip)
        ctx.progress(100, 'created')
        return { name: input.name, ip: input.ip }
      },
      undo: async (ctx, input) => {
        await ctx.storage.removeItem(`records:${input.name}`)
      },
    },
  },
})

const engine = createEngine({ providers: [dns], concurrency: 2 })
engine.on('job:status', ({ id, status }) => console.log(`[${id.slice(-6)}] ${status}`))
await engine.start()

const hosts = [
  { name: 'web-01.example.test', ip: '192.0.2.10' },
  { name: 'web-02.example.test', ip: '192.0.2.11' },
  { name: 'db-01.example.test', ip: '192.0.2.20' },
]
const jobs = await Promise.all(hosts.map((input) => engine.jobs.submit({ provider: 'dns', action: 'record.create', input, labels: { app: 'shop' } })))

for (const job of jobs) {
  const done = await engine.jobs.wait(job.id)
  for await (const { line } of engine.jobs.output(job.id)) console.log(`  ${line}`)
  console.log(`${done.status}: ${JSON.stringify(done.result)}`)
}

const page = await engine.jobs.list({ label: 'app=shop', status: 'completed' })
console.log(`${page.total} jobs completed for app=shop`)
await engine.stop()
