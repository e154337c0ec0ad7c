#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { startUpCloudStandIn } from './upcloud'
import { startVultrStandIn } from './vultr'

const usage = `Usage: provisio-standin <vultr|upcloud> [options]

Starts a local stand-in of the cloud API on loopback and prints its API URL.

Common options:
  --port N              port to listen on (default 0: a free one)
  --host H              address to listen on (default 127.0.0.1)
  --ready-after-ms N    how long a new instance/server takes to become ready

vultr:
  --api-key K           the accepted API key (default: standin-key)
  --power-delay-ms N    how long start/halt/reboot take
  --not-found-after-create-ms N
                        answer 404 for a new instance this long
  --rate-limit N        requests per second per key before 429 (default 30)

upcloud:
  --username U --password P
                        the accepted API user (default: standin / standin-password)
  --token T             also accept this Bearer token
  --start-after-ms N  --stop-after-ms N  --hard-stop-after-ms N
  --ignore-soft-stop    servers ignore soft stops`

function fail(message: string): never {
  process.stderr.write(`[provisio] [standin] ${message}\n\n${usage}\n`)
  process.exit(2)
}

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const parsed = value === 'never' ? Infinity : Number(value)
  if (Number.isNaN(parsed) || parsed < 0) fail(`--${name} needs a number of milliseconds, got "${value}"`)
  return parsed
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'ready-after-ms': { type: 'string' },
    'api-key': { type: 'string' },
    'power-delay-ms': { type: 'string' },
    'not-found-after-create-ms': { type: 'string' },
    'rate-limit': { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    token: { type: 'string' },
    'start-after-ms': { type: 'string' },
    'stop-after-ms': { type: 'string' },
    'hard-stop-after-ms': { type: 'string' },
    'ignore-soft-stop': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
})

if (values.help) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}

const common = { port: number(values.port, 'port') ?? 0, host: values.host ?? '127.0.0.1', readyAfterMs: number(values['ready-after-ms'], 'ready-after-ms') }
const [kind] = positionals
let standIn: { apiUrl: string; close: () => Promise<void> }
if (kind === 'vultr') {
  const apiKey = values['api-key'] ?? 'standin-key'
  standIn = await startVultrStandIn({
    ...common,
    apiKey,
    powerDelayMs: number(values['power-delay-ms'], 'power-delay-ms'),
    notFoundAfterCreateMs: number(values['not-found-after-create-ms'], 'not-found-after-create-ms'),
    rateLimitPerSecond: number(values['rate-limit'], 'rate-limit'),
  })
  process.stderr.write(`Vultr API v2 stand-in; use it with: VULTR_API_ENDPOINT=${standIn.apiUrl} VULTR_API_KEY=<the --api-key>\n`)
} else if (kind === 'upcloud') {
  standIn = await startUpCloudStandIn({
    ...common,
    username: values.username ?? 'standin',
    password: values.password ?? 'standin-password',
    token: values.token,
    startAfterMs: number(values['start-after-ms'], 'start-after-ms'),
    stopAfterMs: number(values['stop-after-ms'], 'stop-after-ms'),
    hardStopAfterMs: number(values['hard-stop-after-ms'], 'hard-stop-after-ms'),
    ignoreSoftStop: values['ignore-soft-stop'],
  })
  process.stderr.write(`UpCloud API 1.3 stand-in; use it with the --username/--password (or --token) credentials\n`)
} else {
  fail(kind ? `unknown stand-in "${kind}"` : 'name a stand-in: vultr or upcloud')
}

// The first stdout line is the API URL, so scripts can read it.
process.stdout.write(`${standIn.apiUrl}\n`)

const shutdown = () => {
  void standIn.close().then(() => process.exit(0))
}
process.once('SIGINT', shutdown)
process.once('SIGTERM', shutdown)
