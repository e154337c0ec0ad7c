import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, ValidationError, type Engine, type JobRecord, type JobSubmission } from '@provisio/engine'
import { vultr, type VultrInstance, type VultrOptions } from '@provisio/adapters'
import { startVultrStandIn, type VultrStandIn, type VultrStandInOptions } from '@provisio/adapters/testing'

const apiKey = 'VKEY3F9C2E7A41D84B0C9E6F5A2B7C1D8E4F'
const debian = { region: 'ams', plan: 'vc2-1c-1gb', os_id: 2136 }

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function standIn(options: Partial<VultrStandInOptions> = {}): Promise<VultrStandIn> {
  const stand = await startVultrStandIn({ apiKey, port: 0, readyAfterMs: 60, powerDelayMs: 40, ...options })
  cleanups.push(() => stand.close())
  return stand
}

async function engineFor(stand: VultrStandIn, options: Partial<VultrOptions> = {}): Promise<Engine> {
  const engine = createEngine({
    providers: [vultr({ apiKey, baseUrl: stand.apiUrl, pollIntervalMs: 20, retryBaseMs: 10, readyTimeoutMs: 5_000, ...options })],
  })
  await engine.start()
  cleanups.push(() => engine.stop())
  return engine
}

async function outputOf(engine: Engine, id: string): Promise<string[]> {
  const lines: string[] = []
  for await (const { line } of engine.jobs.output(id)) lines.push(line)
  return lines
}

async function run(engine: Engine, action: string, input: unknown, extra: Partial<JobSubmission> = {}): Promise<{ job: JobRecord; output: string[] }> {
  const submitted = await engine.jobs.submit({ provider: 'vultr', action, input, ...extra })
  const job = await engine.jobs.wait(submitted.id)
  return { job, output: await outputOf(engine, submitted.id) }
}

const statuses = (stand: VultrStandIn, path: string) => stand.state.requests.filter((request) => request.path.startsWith(path)).map((request) => request.status)

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Resolves once `check` holds, polling the event loop (no fixed sleeps in assertions). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let tries = 0; tries < 500; tries++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`never happened: ${what}`)
}

describe('vultr: catalogues', () => {
  it('region.list follows the cursor across pages', async () => {
    const stand = await standIn()
    const engine = await engineFor(stand, { perPage: 2 })
    const { job } = await run(engine, 'region.list', {})
    expect(job.status).toBe('completed')
    const regions = job.result as Array<{ id: string; city: string; continent: string; options: string[] }>
    expect(regions.map((region) => region.id)).toEqual(expect.arrayContaining(['ewr', 'ams', 'fra']))
    expect(regions.find((region) => region.id === 'fra')).toMatchObject({ city: 'Frankfurt', country: 'DE', continent: 'Europe' })
    expect(new Set(regions.map((region) => region.id)).size).toBe(regions.length)
    // 9 regions at 2 per page: 5 pages, each a separate request with the previous page's cursor.
    expect(statuses(stand, '/v2/regions')).toEqual([200, 200, 200, 200, 200])
    expect(stand.state.requests.filter((request) => request.path.includes('cursor=')).length).toBe(4)
  })

  it('plan.list filters by type and keeps the plan fields', async () => {
    const engine = await engineFor(await standIn())
    const { job } = await run(engine, 'plan.list', { type: 'vc2' })
    const plans = job.result as Array<Record<string, unknown>>
    expect(plans.every((plan) => plan.type === 'vc2')).toBe(true)
    expect(plans.find((plan) => plan.id === 'vc2-2c-4gb')).toMatchObject({ vcpu_count: 2, ram: 4096, disk: 80, monthly_cost: 20 })
    expect(plans.find((plan) => plan.id === 'vc2-1c-1gb')?.locations).toContain('ewr')
  })

  it('os.list names the Debian and Ubuntu images', async () => {
    const engine = await engineFor(await standIn())
    const { job } = await run(engine, 'os.list', {})
    const images = job.result as Array<{ id: number; name: string }>
    expect(images).toContainEqual(expect.objectContaining({ id: 2136, name: 'Debian 12 x64 (bookworm)' }))
    expect(images).toContainEqual(expect.objectContaining({ id: 2284, name: 'Ubuntu 24.04 LTS x64' }))
  })

  it('account.get reads the balance and the pending charges, with the key kept out of its log', async () => {
    const stand = await standIn({ account: { balance: -120.5, pending_charges: 7.25 } })
    const engine = await engineFor(stand)
    const first = await run(engine, 'account.get', {})
    expect(first.job.status).toBe('completed')
    expect(first.job.result).toMatchObject({ name: 'Stand-in', balance: -120.5, pending_charges: 7.25 })
    expect(first.output).toContain('account: balance -120.5, pending charges 7.25')
    expect(first.output.join('\n')).not.toContain(apiKey)
    // The charges grow as the month goes on: each read answers what the account says now.
    stand.state.account.pending_charges = 9.75
    expect((await run(engine, 'account.get', {})).job.result).toMatchObject({ pending_charges: 9.75 })
    expect(stand.state.requests.filter((request) => request.path === '/v2/account').map((request) => request.method)).toEqual(['GET', 'GET'])
    await expect(engine.jobs.submit({ provider: 'vultr', action: 'account.get', input: { extra: 1 } })).rejects.toThrow()
  })
})

describe('vultr: instances', () => {
  it('instance.create waits until active, running, ok with an IP, and keeps the password out', async () => {
    const stand = await standIn({ readyAfterMs: 150 })
    const engine = await engineFor(stand)
    const progress: number[] = []
    engine.on('job:progress', (event) => progress.push(event.percent))
    const { job, output } = await run(engine, 'instance.create', { ...debian, label: 'web-1', hostname: 'web1', tags: ['web'], user_data: '#cloud-config\n' })
    expect(job.status).toBe('completed')
    const instance = job.result as VultrInstance
    expect(instance).toMatchObject({
      label: 'web-1',
      hostname: 'web1',
      status: 'active',
      power_status: 'running',
      server_status: 'ok',
      region: 'ams',
      os_id: 2136,
      tags: ['web'],
    })
    expect(instance.main_ip).toMatch(/^203\.0\.113\.\d+$/)
    expect(instance).not.toHaveProperty('default_password')
    expect(output).toContain('creating a vc2-1c-1gb instance in ams from os 2136')
    expect(output.some((line) => line.includes('status pending, power running, server none, ip 0.0.0.0'))).toBe(true)
    expect(output.some((line) => line.includes(`is ready at ${instance.main_ip}`))).toBe(true)
    expect(progress.at(-1)).toBe(100)

    const password = stand.state.defaultPasswords.get(instance.id)!
    expect(password).toMatch(/^\S{8,}$/)
    const everything = JSON.stringify([
      job,
      output,
      await engine.jobs.list(),
      await engine.storage.getKeys().then((keys) => Promise.all(keys.map((key) => engine.storage.getItem(key)))),
    ])
    expect(everything).not.toContain(password)
    expect(everything).not.toContain(apiKey)
  })

  it('instance.create sends user_data base64-encoded', async () => {
    const stand = await standIn({ readyAfterMs: 0 })
    const engine = await engineFor(stand)
    const { job } = await run(engine, 'instance.create', { ...debian, user_data: '#cloud-config\npackages: [nginx]\n', wait: false })
    expect(job.status).toBe('completed')
    const response = await fetch(`${stand.apiUrl}/instances/${(job.result as VultrInstance).id}/user-data`, { headers: { authorization: `Bearer ${apiKey}` } })
    const { user_data } = (await response.json()) as { user_data: { data: string } }
    expect(Buffer.from(user_data.data, 'base64').toString()).toBe('#cloud-config\npackages: [nginx]\n')
  })

  it('instance.create rides out the 404 Vultr may answer right after create', async () => {
    const stand = await standIn({ readyAfterMs: 450, notFoundAfterCreateMs: 400 })
    const engine = await engineFor(stand)
    const { job, output } = await run(engine, 'instance.create', debian)
    expect(job.status).toBe('completed')
    expect(statuses(stand, `/v2/instances/${(job.result as VultrInstance).id}`)).toContain(404)
    expect(output.some((line) => line.endsWith('instance not visible yet (404)'))).toBe(true)
  })

  it('instance.get reads one instance and instance.list pages through all of them', async () => {
    const stand = await standIn({ readyAfterMs: 0 })
    const engine = await engineFor(stand)
    const ids: string[] = []
    for (let index = 0; index < 7; index++) {
      const { job } = await run(engine, 'instance.create', { ...debian, label: `node-${index}`, region: index % 2 ? 'fra' : 'ewr' })
      ids.push((job.result as VultrInstance).id)
    }
    const got = await run(engine, 'instance.get', { id: ids[3] })
    expect(got.job.result).toMatchObject({ id: ids[3], label: 'node-3', region: 'fra' })

    const before = stand.state.requests.length
    const listed = await run(engine, 'instance.list', { per_page: 2 })
    expect((listed.job.result as VultrInstance[]).map((instance) => instance.id).sort()).toEqual([...ids].sort())
    expect(stand.state.requests.slice(before).filter((request) => request.path.startsWith('/v2/instances?'))).toHaveLength(4)
    expect(listed.output).toContain('7 instance(s)')

    const filtered = await run(engine, 'instance.list', { region: 'fra' })
    expect((filtered.job.result as VultrInstance[]).map((instance) => instance.label).sort()).toEqual(['node-1', 'node-3', 'node-5'])

    const registered = engine.providers.get('vultr')!
    const inventory = await registered.provider.resources!.list({
      config: registered.config,
      signal: new AbortController().signal,
      storage: registered.storage,
    })
    expect(inventory).toHaveLength(7)
  })

  it('instance.halt, instance.start and instance.reboot wait for the power state', async () => {
    const stand = await standIn({ readyAfterMs: 0, powerDelayMs: 60 })
    const engine = await engineFor(stand)
    const { id } = (await run(engine, 'instance.create', debian)).job.result as VultrInstance

    const halted = await run(engine, 'instance.halt', { id })
    expect(halted.job.result).toMatchObject({ id, power_status: 'stopped' })
    expect(halted.output).toContain(`halt requested for instance ${id}`)
    expect(stand.state.instances.get(id)?.power_status).toBe('stopped')

    const started = await run(engine, 'instance.start', { id })
    expect(started.job.result).toMatchObject({ id, power_status: 'running' })

    const rebooted = await run(engine, 'instance.reboot', { id })
    expect(rebooted.job.result).toMatchObject({ id, power_status: 'running', server_status: 'ok' })
    expect(rebooted.output.some((line) => line.includes('server installingbooting'))).toBe(true)
  })

  it('instance.delete removes it; undo of a create deletes it and tolerates it being gone', async () => {
    const stand = await standIn({ readyAfterMs: 0 })
    const engine = await engineFor(stand)
    const first = (await run(engine, 'instance.create', debian)).job.result as VultrInstance
    const deleted = await run(engine, 'instance.delete', { id: first.id })
    expect(deleted.job.result).toEqual({ id: first.id, deleted: true })
    expect(stand.state.instances.has(first.id)).toBe(false)

    const created = await run(engine, 'instance.create', debian)
    const second = created.job.result as VultrInstance
    const undone = await run(engine, 'instance.create', debian, { undo: { result: second } })
    expect(undone.job.status).toBe('completed')
    expect(undone.output).toContain(`deleted instance ${second.id}`)
    expect(stand.state.instances.has(second.id)).toBe(false)

    const again = await run(engine, 'instance.create', debian, { undo: { result: second } })
    expect(again.job.status).toBe('completed')
    expect(again.output).toContain(`instance ${second.id} is already gone`)
  })
})

describe('vultr: failures', () => {
  it('a bad API key fails with 401 and the message, never the key', async () => {
    const stand = await standIn()
    const wrongKey = 'WRONGKEY0123456789ABCDEFGHIJKLMNOP'
    const engine = await engineFor(stand, { apiKey: wrongKey })
    const { job, output } = await run(engine, 'instance.list', {})
    expect(job.status).toBe('failed')
    expect(job.error).toMatchObject({ code: 'HTTP_401', name: 'HttpError' })
    expect(job.error?.message).toBe('[provisio] [vultr] GET /instances?per_page=100 failed: 401 Invalid API token.')
    expect(JSON.stringify([job, output])).not.toContain(wrongKey)
  })

  it('a key used from outside its access control list fails at once with the address, never the key', async () => {
    const stand = await standIn({ allowedSubnets: ['192.0.2.0/24', '2001:db8::/32'] })
    const engine = await engineFor(stand)
    const { job, output } = await run(engine, 'instance.list', {})
    expect(job.status).toBe('failed')
    expect(job.error).toMatchObject({ code: 'HTTP_401', name: 'HttpError' })
    expect(job.error?.message).toBe('[provisio] [vultr] GET /instances?per_page=100 failed: 401 Unauthorized IP address: 127.0.0.1')
    expect(statuses(stand, '/v2/instances')).toEqual([401])
    expect(JSON.stringify([job, output])).not.toContain(apiKey)
  })

  it('a read-only key lists instances but is refused a create with 403, not retried and never leaking the key', async () => {
    const stand = await standIn({ acls: ['subscriptions_view'] })
    const engine = await engineFor(stand)
    expect((await run(engine, 'instance.list', {})).job.status).toBe('completed')
    const { job, output } = await run(engine, 'instance.create', debian)
    expect(job.status).toBe('failed')
    expect(job.error).toMatchObject({ code: 'HTTP_403', name: 'HttpError' })
    expect(job.error?.message).toBe('[provisio] [vultr] POST /instances failed: 403 You are not allowed to perform that action.')
    expect(statuses(stand, '/v2/instances')).toEqual([200, 403])
    expect(stand.state.instances.size).toBe(0)
    expect(JSON.stringify([job, output])).not.toContain(apiKey)
  })

  it('an unknown instance fails with 404', async () => {
    const engine = await engineFor(await standIn())
    const { job } = await run(engine, 'instance.get', { id: '00000000-0000-4000-8000-000000000000' })
    expect(job.status).toBe('failed')
    expect(job.error?.code).toBe('HTTP_404')
    expect(job.error?.message).toContain('404 Invalid instance-id.')
  })

  it('a bad body fails with the API’s 400, and bad input is rejected before a job exists', async () => {
    const engine = await engineFor(await standIn())
    const { job } = await run(engine, 'instance.create', { ...debian, region: 'xxx' })
    expect(job.status).toBe('failed')
    expect(job.error?.message).toContain('400 Invalid region.')

    const rejected = engine.jobs.submit({ provider: 'vultr', action: 'instance.create', input: { region: 'ams', plan: 'vc2-1c-1gb' } })
    await expect(rejected).rejects.toBeInstanceOf(ValidationError)
    await expect(rejected).rejects.toMatchObject({ issues: [expect.objectContaining({ message: expect.stringContaining('os_id') })] })
  })

  it('rides out a storm of 429s with backoff', async () => {
    const stand = await standIn()
    stand.inject({ status: 429, count: 4, path: '/v2/plans' })
    const engine = await engineFor(stand)
    const { job, output } = await run(engine, 'plan.list', {})
    expect(job.status).toBe('completed')
    expect(statuses(stand, '/v2/plans')).toEqual([429, 429, 429, 429, 200])
    expect(output.filter((line) => line.includes('429 rate limit exceeded; retrying in'))).toHaveLength(4)
  })

  it('backs off when it exceeds the stand-in’s per-key rate limit, and its own limiter avoids it', async () => {
    const stand = await standIn({ rateLimitPerSecond: 3 })
    const eager = await engineFor(stand, { perPage: 2, requestsPerSecond: 100, retryBaseMs: 200 })
    const { job } = await run(eager, 'region.list', {})
    expect(job.status).toBe('completed')
    expect(job.result).toHaveLength(9)
    expect(statuses(stand, '/v2/regions')).toContain(429)

    const polite = await standIn({ rateLimitPerSecond: 3 })
    const limited = await engineFor(polite, { perPage: 2, requestsPerSecond: 3 })
    const second = await run(limited, 'region.list', {})
    expect(second.job.result).toHaveLength(9)
    expect(statuses(polite, '/v2/regions')).not.toContain(429)
  })

  it('retries 500s, honours Retry-After, and fails once the retries run out', async () => {
    const stand = await standIn()
    stand.inject({ status: 500, count: 2, path: '/v2/os' })
    const engine = await engineFor(stand, { retries: 2 })
    expect((await run(engine, 'os.list', {})).job.status).toBe('completed')
    expect(statuses(stand, '/v2/os')).toEqual([500, 500, 200])

    stand.inject({ status: 503, retryAfterSeconds: 1, path: '/v2/regions' })
    const honoured = await run(engine, 'region.list', {})
    expect(honoured.job.status).toBe('completed')
    expect(honoured.output).toContain('GET /regions?per_page=100: 503 Service unavailable.; retrying in 1000 ms')

    stand.inject({ status: 500, count: 3, path: '/v2/plans' })
    const failed = await run(engine, 'plan.list', {})
    expect(failed.job.status).toBe('failed')
    expect(failed.job.error).toMatchObject({ code: 'HTTP_500', message: '[provisio] [vultr] GET /plans?per_page=100 failed: 500 Internal server error.' })
  })

  it('fails with a network error when nothing answers', async () => {
    const stand = await standIn()
    const engine = await engineFor(stand, { baseUrl: `http://127.0.0.1:${await closedPort()}/v2`, retries: 1 })
    const { job, output } = await run(engine, 'region.list', {})
    expect(job.status).toBe('failed')
    expect(job.error?.code).toBe('NETWORK_ERROR')
    expect(job.error?.message).toContain('ECONNREFUSED')
    expect(output.some((line) => line.includes('retrying in'))).toBe(true)
  })

  it('an instance that never becomes ready ends with a timeout error naming it', async () => {
    const stand = await standIn({ readyAfterMs: Infinity })
    const engine = await engineFor(stand, { readyTimeoutMs: 300 })
    const { job } = await run(engine, 'instance.create', debian)
    expect(job.status).toBe('failed')
    const [id] = stand.state.instances.keys()
    expect(job.error).toMatchObject({ code: 'WAIT_TIMEOUT', name: 'WaitTimeoutError' })
    expect(job.error?.message).toBe(
      `[provisio] [vultr] instance ${id} did not become ready after 300 ms (last state: instance ${id}: status pending, power running, server none, ip 0.0.0.0)`,
    )
  })

  it('cancel mid-wait stops the polling', async () => {
    const stand = await standIn({ readyAfterMs: Infinity })
    const engine = await engineFor(stand)
    const submitted = await engine.jobs.submit({ provider: 'vultr', action: 'instance.create', input: debian })
    await until(() => stand.state.requests.filter((request) => request.method === 'GET').length >= 3, 'polling started')
    const cancelled = await engine.jobs.cancel(submitted.id)
    expect((await engine.jobs.wait(cancelled.id)).status).toBe('cancelled')
    // A read already in flight may still land; after that, nothing more is asked.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const seen = stand.state.requests.length
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(stand.state.requests.length).toBe(seen)
  })

  it('cancel aborts the HTTP call in flight', async () => {
    const stand = await standIn()
    stand.inject({ delayMs: 3_000, path: '/v2/regions' })
    const engine = await engineFor(stand)
    const lines: string[] = []
    engine.on('job:output', (event) => lines.push(event.line))
    const submitted = await engine.jobs.submit({ provider: 'vultr', action: 'region.list', input: {} })
    await until(() => lines.includes('GET /regions?per_page=100'), 'request sent')
    await engine.jobs.cancel(submitted.id)
    const job = await engine.jobs.wait(submitted.id)
    expect(job.status).toBe('cancelled')
    // The stand-in has not answered the delayed request yet: the job did not wait for it.
    expect(stand.state.requests.filter((request) => request.path.startsWith('/v2/regions'))).toHaveLength(0)
  })
})
