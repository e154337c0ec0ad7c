// An engine with the metrics and webhooks plugins, and a webhook receiver that
// checks each signature. The receiver answers the first delivery with a 503, so
// the plugin retries it; then the example reads the engine's /metrics route.
// Run: node --conditions=source --import tsx examples/plugin.ts
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createEngine, defineProvider } from '@provisio/engine'
import { metrics, verifyWebhookSignature, webhooks } from '@provisio/plugins'
import { z } from 'zod'

const secret = 'webhook-secret'

// The receiver: what an external system would run to hear from Provisio.
const received: string[] = []
let answered = 0
let allDelivered: () => void
const delivered = new Promise<void>((resolve) => (allDelivered = resolve))
const receiver = createServer(async (req, res) => {
  let body = ''
  for await (const chunk of req) body += chunk
  const valid = verifyWebhookSignature(body, secret, req.headers['x-provisio-signature'] as string)
  const { event, data } = JSON.parse(body)
  const status = ++answered === 1 ? 503 : 204
  const detail = data.error ? `error ${JSON.stringify(data.error)}` : `output ${JSON.stringify(data.output)}`
  received.push(`${event} (signature ${valid ? 'valid' : 'INVALID'}) answered ${status}: ${data.provider}/${data.action} ${detail}`)
  res.writeHead(status).end()
  if (answered === 3) allDelivered()
})
receiver.listen(0, '127.0.0.1')
await once(receiver, 'listening')
const hooksUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`

const servers = defineProvider({
  name: 'servers',
  actions: {
    create: {
      input: z.object({ name: z.string(), disk: z.number().int() }),
      run: (ctx, input) => {
        ctx.log(`creating ${input.name}`)
        if (input.disk > 100) throw new Error(`no ${input.disk} GB disk left for ${input.name}`)
        ctx.log(`${input.name} is up`)
        return { name: input.name }
      },
    },
  },
})

const engine = createEngine({
  providers: [servers],
  plugins: [
    metrics(),
    // One delivery at a time, so the retried one still arrives before the next.
    webhooks({ endpoints: [{ url: hooksUrl, events: ['task.completed', 'task.failed'], secret }], retry: { attempts: 3, backoffMs: 100 }, concurrency: 1 }),
  ],
})
await engine.start()

console.log('jobs:')
for (const input of [
  { name: 'web-01', disk: 50 },
  { name: 'web-02', disk: 500 },
]) {
  const job = await engine.jobs.wait((await engine.jobs.submit({ provider: 'servers', action: 'create', input })).id)
  console.log(`  ${input.name}: ${job.status}${job.error ? ` (${job.error.message})` : ''}`)
}

await delivered
console.log('webhooks received:')
for (const line of received) console.log(`  ${line}`)

// The same route @provisio/http mounts at GET /metrics.
const route = engine.routes.find((candidate) => candidate.path === '/metrics')!
const exposition = await (await route.handler(new Request('http://localhost/metrics'))).text()
console.log('metrics:')
for (const line of exposition.split('\n')) {
  if (/^orchestrator_tasks_total|^orchestrator_task_duration_seconds_(bucket\{le="(10|30|\+Inf)"\}|count)/.test(line)) console.log(`  ${line}`)
}

await engine.stop()
receiver.close()
