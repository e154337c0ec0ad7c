import { fileURLToPath } from 'node:url'
import { execa, type ResultPromise } from 'execa'
import { afterEach, describe, expect, it } from 'vitest'
import { startUpCloudStandIn, startVultrStandIn, type UpCloudStandInOptions, type VultrStandInOptions } from '@provisio/adapters/testing'
import { tsProcessArgs } from '../../../test/helpers/ts-process'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function call(url: string, init: { method?: string; auth?: string; body?: unknown; rawBody?: string } = {}) {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.auth ? { authorization: init.auth } : {}), ...(init.body !== undefined || init.rawBody ? { 'content-type': 'application/json' } : {}) },
    body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers }
}

/** Reads until `check` holds, within a generous bound (states change after tiny delays). */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  for (let tries = 0; ; tries++) {
    const value = await read()
    if (check(value) || tries > 200) return value
    await sleep(10)
  }
}

describe('stand-in: vultr', () => {
  const apiKey = 'STANDINKEY0123456789ABCDEFGHIJKL'
  const auth = `Bearer ${apiKey}`
  async function start(options: Partial<VultrStandInOptions> = {}) {
    const stand = await startVultrStandIn({ apiKey, port: 0, readyAfterMs: 50, powerDelayMs: 20, ...options })
    cleanups.push(() => stand.close())
    return stand
  }

  it('answers 401 with Vultr’s error body for a missing or wrong key', async () => {
    const stand = await start()
    expect(stand.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(await call(`${stand.apiUrl}/regions`)).toMatchObject({ status: 401, body: { error: 'Invalid API token.', status: 401 } })
    expect(await call(`${stand.apiUrl}/regions`, { auth: 'Bearer nope' })).toMatchObject({ status: 401 })
  })

  it('pages with per_page and cursor, with meta.total and links', async () => {
    const stand = await start()
    const first = await call(`${stand.apiUrl}/regions?per_page=4`, { auth })
    expect(first.body.regions).toHaveLength(4)
    expect(first.body.meta).toMatchObject({ total: 9, links: { prev: '' } })
    expect(first.body.meta.links.next).not.toBe('')
    const second = await call(`${stand.apiUrl}/regions?per_page=4&cursor=${first.body.meta.links.next}`, { auth })
    expect(second.body.meta.links.prev).not.toBe('')
    const third = await call(`${stand.apiUrl}/regions?per_page=4&cursor=${second.body.meta.links.next}`, { auth })
    expect(third.body.regions).toHaveLength(1)
    expect(third.body.meta.links.next).toBe('')
    const ids = [...first.body.regions, ...second.body.regions, ...third.body.regions].map((region: { id: string }) => region.id)
    expect(new Set(ids).size).toBe(9)
    expect(await call(`${stand.apiUrl}/regions?cursor=garbage`, { auth })).toMatchObject({ status: 400, body: { error: 'Invalid cursor.', status: 400 } })
  })

  it('can answer 404 for a new instance for a while, as Vultr may right after create', async () => {
    const stand = await start({ notFoundAfterCreateMs: 60_000 })
    const created = await call(`${stand.apiUrl}/instances`, { method: 'POST', auth, body: { region: 'ewr', plan: 'vc2-1c-1gb', os_id: 2136 } })
    expect(created.status).toBe(202)
    expect(await call(`${stand.apiUrl}/instances/${created.body.instance.id}`, { auth })).toMatchObject({
      status: 404,
      body: { error: 'Invalid instance-id.', status: 404 },
    })
  })

  it('creates instances pending, then makes them active with an IP', async () => {
    const stand = await start({ readyAfterMs: 60 })
    const created = await call(`${stand.apiUrl}/instances`, { method: 'POST', auth, body: { region: 'ewr', plan: 'vc2-1c-1gb', os_id: 2284, label: 'a' } })
    expect(created.status).toBe(202)
    expect(created.body.instance).toMatchObject({
      status: 'pending',
      power_status: 'running',
      server_status: 'none',
      main_ip: '0.0.0.0',
      os: 'Ubuntu 24.04 LTS x64',
      ram: 1024,
      vcpu_count: 1,
    })
    expect(created.body.instance.default_password).toEqual(expect.any(String))
    const id = created.body.instance.id
    const ready = await eventually(
      () => call(`${stand.apiUrl}/instances/${id}`, { auth }),
      (answer) => answer.body?.instance?.status === 'active',
    )
    expect(ready.body.instance).toMatchObject({ status: 'active', power_status: 'running', server_status: 'ok' })
    expect(ready.body.instance).not.toHaveProperty('default_password')
    expect(ready.body.instance.main_ip).not.toBe('0.0.0.0')

    expect((await call(`${stand.apiUrl}/instances/${id}/halt`, { method: 'POST', auth })).status).toBe(204)
    const halted = await eventually(
      () => call(`${stand.apiUrl}/instances/${id}`, { auth }),
      (answer) => answer.body.instance.power_status === 'stopped',
    )
    expect(halted.body.instance.power_status).toBe('stopped')
    expect((await call(`${stand.apiUrl}/instances/${id}`, { method: 'DELETE', auth })).status).toBe(204)
    expect(await call(`${stand.apiUrl}/instances/${id}`, { auth })).toMatchObject({ status: 404, body: { error: 'Invalid instance-id.', status: 404 } })
  })

  it('answers 400 for bad bodies', async () => {
    const stand = await start()
    expect(await call(`${stand.apiUrl}/instances`, { method: 'POST', auth, rawBody: '{nope' })).toMatchObject({ status: 400, body: { status: 400 } })
    expect(await call(`${stand.apiUrl}/instances`, { method: 'POST', auth, body: { region: 'ewr', plan: 'vc2-1c-1gb' } })).toMatchObject({
      status: 400,
      body: { error: 'Must specify one of os_id, iso_id, snapshot_id, app_id or image_id.' },
    })
    expect(await call(`${stand.apiUrl}/instances`, { method: 'POST', auth, body: { region: 'ewr', plan: 'vc2-9c-99gb', os_id: 2136 } })).toMatchObject({
      status: 400,
      body: { error: 'Invalid plan.' },
    })
  })

  it('limits each key to its requests per second with Vultr’s 429 body', async () => {
    const stand = await start({ rateLimitPerSecond: 30 })
    const answers = await Promise.all(Array.from({ length: 40 }, () => call(`${stand.apiUrl}/plans`, { auth })))
    const limited = answers.filter((answer) => answer.status === 429)
    expect(limited.length).toBeGreaterThanOrEqual(10)
    expect(limited[0]!.body).toEqual({ status: 429, error: 'rate limit exceeded' })
  })

  it('injects faults on matching paths only, for the given count', async () => {
    const stand = await start()
    stand.inject({ status: 503, count: 2, path: '/v2/os', retryAfterSeconds: 2 })
    expect((await call(`${stand.apiUrl}/plans`, { auth })).status).toBe(200)
    const faulted = await call(`${stand.apiUrl}/os`, { auth })
    expect(faulted.status).toBe(503)
    expect(faulted.headers.get('retry-after')).toBe('2')
    expect((await call(`${stand.apiUrl}/os`, { auth })).status).toBe(503)
    expect((await call(`${stand.apiUrl}/os`, { auth })).status).toBe(200)
  })
})

describe('stand-in: upcloud', () => {
  const basic = `Basic ${Buffer.from('api-user:api-pass-123').toString('base64')}`
  async function start(options: Partial<UpCloudStandInOptions> = {}) {
    const stand = await startUpCloudStandIn({
      username: 'api-user',
      password: 'api-pass-123',
      token: 'tok_abcdef123456',
      port: 0,
      readyAfterMs: 40,
      startAfterMs: 20,
      stopAfterMs: 20,
      hardStopAfterMs: 10,
      ...options,
    })
    cleanups.push(() => stand.close())
    return stand
  }

  it('checks Basic and Bearer auth with UpCloud’s error body', async () => {
    const stand = await start()
    const denied = await call(`${stand.apiUrl}/zone`, { auth: `Basic ${Buffer.from('api-user:wrong').toString('base64')}` })
    expect(denied).toMatchObject({ status: 401, body: { error: { error_code: 'AUTHENTICATION_FAILED' } } })
    expect((await call(`${stand.apiUrl}/zone`, { auth: 'Bearer tok_abcdef123456' })).status).toBe(200)
    expect((await call(`${stand.apiUrl}/zone`, { auth: 'Bearer other' })).status).toBe(401)
    const zones = await call(`${stand.apiUrl}/zone`, { auth: basic })
    expect(zones.body.zones.zone).toContainEqual({ id: 'fi-hel1', description: 'Helsinki #1', public: 'yes' })
  })

  it('runs a server through maintenance, started, stop (still started), stopped and delete', async () => {
    const stand = await start()
    const body = {
      server: {
        zone: 'us-nyc1',
        title: 'db',
        hostname: 'db.example.com',
        plan: '2xCPU-4GB',
        storage_devices: {
          storage_device: [{ action: 'clone', storage: '01000000-0000-4000-8000-000030240200', title: 'db disk', size: 80, tier: 'maxiops' }],
        },
      },
    }
    const created = await call(`${stand.apiUrl}/server`, { method: 'POST', auth: basic, body })
    expect(created.status).toBe(202)
    expect(created.body.server).toMatchObject({ state: 'maintenance', core_number: '2', memory_amount: '4096', zone: 'us-nyc1' })
    const uuid = created.body.server.uuid
    const listed = await call(`${stand.apiUrl}/server`, { auth: basic })
    expect(listed.body.servers.server).toEqual([expect.objectContaining({ uuid, state: 'maintenance' })])

    await eventually(
      () => call(`${stand.apiUrl}/server/${uuid}`, { auth: basic }),
      (answer) => answer.body.server.state === 'started',
    )
    expect(await call(`${stand.apiUrl}/server/${uuid}/start`, { method: 'POST', auth: basic, body: { server: {} } })).toMatchObject({
      status: 409,
      body: { error: { error_code: 'SERVER_STATE_ILLEGAL' } },
    })
    expect((await call(`${stand.apiUrl}/server/${uuid}?storages=1`, { method: 'DELETE', auth: basic })).status).toBe(409)
    const stopping = await call(`${stand.apiUrl}/server/${uuid}/stop`, {
      method: 'POST',
      auth: basic,
      body: { stop_server: { stop_type: 'soft', timeout: '60' } },
    })
    expect(stopping).toMatchObject({ status: 200, body: { server: { state: 'started' } } })
    await eventually(
      () => call(`${stand.apiUrl}/server/${uuid}`, { auth: basic }),
      (answer) => answer.body.server.state === 'stopped',
    )
    expect((await call(`${stand.apiUrl}/server/${uuid}?storages=1`, { method: 'DELETE', auth: basic })).status).toBe(204)
    expect(stand.state.storages.size).toBe(0)
    expect(await call(`${stand.apiUrl}/server/${uuid}`, { auth: basic })).toMatchObject({ status: 404, body: { error: { error_code: 'SERVER_NOT_FOUND' } } })
  })

  it('answers 400 with an error code for bad bodies', async () => {
    const stand = await start()
    expect(await call(`${stand.apiUrl}/server`, { method: 'POST', auth: basic, rawBody: '{' })).toMatchObject({
      status: 400,
      body: { error: { error_code: 'JSON_MALFORMED' } },
    })
    expect(await call(`${stand.apiUrl}/server`, { method: 'POST', auth: basic, body: { server: { title: 't', hostname: 'h' } } })).toMatchObject({
      status: 400,
      body: { error: { error_code: 'ZONE_MISSING' } },
    })
  })
})

describe('stand-in: the provisio-standin command', () => {
  const root = fileURLToPath(new URL('../../..', import.meta.url))
  const cli = fileURLToPath(new URL('../src/testing/cli.ts', import.meta.url))

  function launch(args: string[]): { child: ResultPromise; firstLine: Promise<string> } {
    const child = execa('node', [...tsProcessArgs(cli), ...args], { cwd: root, reject: false, buffer: false })
    const firstLine = new Promise<string>((resolve, reject) => {
      let text = ''
      child.stdout!.on('data', (chunk: Buffer) => {
        text += chunk.toString()
        if (text.includes('\n')) resolve(text.split('\n')[0]!)
      })
      child.once('exit', (code) => reject(new Error(`provisio-standin exited with ${code} before printing its URL`)))
    })
    cleanups.push(async () => {
      child.kill('SIGTERM')
      await child
    })
    return { child, firstLine }
  }

  it('starts a Vultr stand-in, prints its API URL and stops on SIGTERM', async () => {
    const { child, firstLine } = launch(['vultr', '--port', '0', '--api-key', 'cli-key-123456'])
    const apiUrl = await firstLine
    expect(apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2$/)
    const answer = await call(`${apiUrl}/regions`, { auth: 'Bearer cli-key-123456' })
    expect(answer.body.regions.map((region: { id: string }) => region.id)).toContain('ewr')
    child.kill('SIGTERM')
    expect((await child).exitCode).toBe(0)
  })

  it('starts an UpCloud stand-in with the given user', async () => {
    const { firstLine } = launch(['upcloud', '--username', 'cli-user', '--password', 'cli-pass-123'])
    const apiUrl = await firstLine
    expect(apiUrl).toMatch(/\/1\.3$/)
    const answer = await call(`${apiUrl}/plan`, { auth: `Basic ${Buffer.from('cli-user:cli-pass-123').toString('base64')}` })
    expect(answer.body.plans.plan).toContainEqual(expect.objectContaining({ name: '1xCPU-2GB' }))
  })

  it('exits 2 with usage for an unknown stand-in', async () => {
    const result = await execa('node', [...tsProcessArgs(cli), 'aws'], { cwd: root, reject: false })
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('[provisio] [standin] unknown stand-in "aws"')
  })
})
