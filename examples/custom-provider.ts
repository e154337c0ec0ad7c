/**
 * A provider of your own, shipped as a plugin: a small DNS provider whose
 * `record.create` can be rolled back (undo deletes the record). It keeps its
 * records in `ctx.storage`, the storage the engine scopes to each provider
 * (`providers:dns:`), so they survive a restart when the engine's storage does.
 *
 * Run: node --conditions=source --import tsx examples/custom-provider.ts
 */
import { createEngine, definePlugin, defineProvider, type JobRecord } from '@provisio/engine'
import { z } from 'zod'

interface DnsRecord {
  zone: string
  name: string
  type: 'A' | 'AAAA' | 'CNAME' | 'TXT'
  value: string
  ttl: number
}

const recordInput = z.object({
  zone: z.string().min(1),
  name: z.string().min(1),
  type: z.enum(['A', 'AAAA', 'CNAME', 'TXT']),
  value: z.string().min(1),
  ttl: z.number().int().positive().optional(),
})

// One key per record: creating the same name and type twice is a conflict, not an update.
const recordKey = (record: Pick<DnsRecord, 'zone' | 'name' | 'type'>) => `records:${record.zone}:${record.name}:${record.type}`

const dnsProvider = defineProvider({
  name: 'dns',
  description: 'DNS records kept in the engine storage',
  config: z.object({ defaultTtl: z.number().int().positive().default(300) }),
  actions: {
    'record.create': {
      description: 'Create a record; undo deletes it',
      input: recordInput,
      async run(ctx, input) {
        const key = recordKey(input)
        if (await ctx.storage.hasItem(key)) throw new Error(`[dns] ${input.name}.${input.zone} ${input.type} already exists`)
        const record: DnsRecord = { ...input, ttl: input.ttl ?? ctx.config.defaultTtl }
        await ctx.storage.setItem(key, record)
        ctx.log(`created ${record.name}.${record.zone} ${record.type} ${record.value} (ttl ${record.ttl})`)
        return { key, fqdn: `${record.name}.${record.zone}`, ttl: record.ttl }
      },
      async undo(ctx, _input, result: { key: string; fqdn: string }) {
        await ctx.storage.removeItem(result.key)
        ctx.log(`deleted ${result.fqdn}`)
      },
    },
    'record.list': {
      description: 'List the records of a zone',
      input: z.object({ zone: z.string().min(1) }),
      idempotent: true,
      async run(ctx, input) {
        const keys = await ctx.storage.getKeys(`records:${input.zone}`)
        const records = await Promise.all(keys.map((key) => ctx.storage.getItem<DnsRecord>(key)))
        return records.filter((record): record is DnsRecord => record !== null).sort((a, b) => a.name.localeCompare(b.name))
      },
    },
  },
})

// The plugin registers the provider with its configuration; an app only lists the plugin.
const dnsPlugin = definePlugin({
  name: 'dns',
  setup(engine) {
    engine.addProvider(dnsProvider.configure({ defaultTtl: 60 }))
  },
})

const engine = createEngine({ plugins: [dnsPlugin] })
await engine.start()

async function run(submission: Parameters<typeof engine.jobs.submit>[0]): Promise<JobRecord> {
  const job = await engine.jobs.wait((await engine.jobs.submit(submission)).id)
  const what = `${job.action}${job.mode === 'undo' ? ' (undo)' : ''}`
  console.log(`${what}: ${job.status}${job.error ? ` - ${job.error.message}` : ''}`)
  for await (const { line } of engine.jobs.output(job.id)) console.log(`  | ${line}`)
  return job
}

const www = await run({ provider: 'dns', action: 'record.create', input: { zone: 'example.test', name: 'www', type: 'A', value: '203.0.113.10' } })
await run({ provider: 'dns', action: 'record.create', input: { zone: 'example.test', name: 'mail', type: 'TXT', value: 'v=spf1 -all', ttl: 3600 } })
await run({ provider: 'dns', action: 'record.create', input: { zone: 'example.test', name: 'www', type: 'A', value: '203.0.113.99' } })

const listed = await run({ provider: 'dns', action: 'record.list', input: { zone: 'example.test' } })
console.log(`records: ${JSON.stringify(listed.result)}`)

// Roll back the first record: the same action, run as its undo with the result it returned.
await run({ provider: 'dns', action: 'record.create', input: www.input, undo: { result: www.result } })
const after = await run({ provider: 'dns', action: 'record.list', input: { zone: 'example.test' } })
console.log(`after undo: ${(after.result as DnsRecord[]).map((record) => `${record.name} ${record.type}`).join(', ')}`)

await engine.stop()
