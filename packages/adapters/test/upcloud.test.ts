import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, ValidationError, type Engine, type JobRecord, type JobSubmission } from '@provisio/engine'
import { upcloud, type UpCloudOptions, type UpCloudServer, type UpCloudServerSummary } from '@provisio/adapters'
import { startUpCloudStandIn, type UpCloudStandIn, type UpCloudStandInOptions } from '@provisio/adapters/testing'

const username = 'provisio-api'
const password = 'UpPass-8d2f61c4b7e94a03'
const token = 'ucat_01JABCDEF0123456789XYZTOKEN'
const debianTemplate = '01000000-0000-4000-8000-000020070100'
const server = { zone: 'de-fra1', title: 'web 1', hostname: 'web1.example.com', plan: '1xCPU-2GB', template: debianTemplate }

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function standIn(options: Partial<UpCloudStandInOptions> = {}): Promise<UpCloudStandIn> {
  const stand = await startUpCloudStandIn({
    username,
    password,
    token,
    port: 0,
    readyAfterMs: 80,
    startAfterMs: 40,
    stopAfterMs: 40,
    hardStopAfterMs: 20,
    ...options,
  })
  cleanups.push(() => stand.close())
  return stand
}

async function engineFor(stand: UpCloudStandIn, options: Partial<UpCloudOptions> = {}): Promise<Engine> {
  const engine = createEngine({
    providers: [
      upcloud({ username, password, baseUrl: stand.apiUrl, pollIntervalMs: 20, retryBaseMs: 10, readyTimeoutMs: 5_000, ...options } as UpCloudOptions),
    ],
  })
  await engine.start()
  cleanups.push(() => engine.stop())
  return engine
}

async function run(engine: Engine, action: string, input: unknown, extra: Partial<JobSubmission> = {}): Promise<{ job: JobRecord; output: string[] }> {
  const submitted = await engine.jobs.submit({ provider: 'upcloud', action, input, ...extra })
  const job = await engine.jobs.wait(submitted.id)
  const output: string[] = []
  for await (const { line } of engine.jobs.output(submitted.id)) output.push(line)
  return { job, output }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let tries = 0; tries < 500; tries++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`never happened: ${what}`)
}

describe('upcloud: catalogues', () => {
  it('zone.list, plan.list and template.list unwrap the lists and parse strings and yes/no', async () => {
    const engine = await engineFor(await standIn())
    const zones = (await run(engine, 'zone.list', {})).job.result
    expect(zones).toContainEqual({ id: 'de-fra1', description: 'Frankfurt #1', public: true })
    expect(zones).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'fi-hel1' }), expect.objectContaining({ id: 'us-nyc1' })]))
    const plans = (await run(engine, 'plan.list', {})).job.result
    expect(plans).toContainEqual({ name: '2xCPU-4GB', cores: 2, memoryMb: 4096, storageSizeGb: 80, storageTier: 'maxiops', publicTrafficOutGb: 4096 })
    const templates = (await run(engine, 'template.list', {})).job.result as Array<{ title: string; uuid: string }>
    expect(templates).toContainEqual(expect.objectContaining({ uuid: debianTemplate, title: 'Debian GNU/Linux 12 (Bookworm)', access: 'public', sizeGb: 4 }))
    expect(templates.some((template) => template.title.startsWith('Ubuntu Server 24.04'))).toBe(true)
  })
})

describe('upcloud: servers', () => {
  it('server.create waits out maintenance and returns a clean, typed server without the password', async () => {
    const stand = await standIn({ readyAfterMs: 150 })
    const engine = await engineFor(stand)
    const { job, output } = await run(engine, 'server.create', {
      ...server,
      template: 'Debian GNU/Linux 12 (Bookworm)',
      storageSizeGb: 30,
      labels: { env: 'test' },
      loginUser: { username: 'deploy', sshKeys: ['ssh-ed25519 AAAAC3Nza test'], createPassword: true },
    })
    expect(job.status).toBe('completed')
    const created = job.result as UpCloudServer
    expect(created).toMatchObject({
      title: 'web 1',
      hostname: 'web1.example.com',
      zone: 'de-fra1',
      plan: '1xCPU-2GB',
      state: 'started',
      cores: 1,
      memoryMb: 2048,
      metadata: true,
      labels: { env: 'test' },
    })
    expect(created.ipAddresses).toContainEqual({ access: 'public', address: expect.stringMatching(/^198\.51\.100\./), family: 'IPv4' })
    expect(created.storageDevices).toEqual([expect.objectContaining({ sizeGb: 30, tier: 'maxiops', bootDisk: true, type: 'disk' })])
    expect(created.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(output).toEqual(expect.arrayContaining([`server ${created.uuid}: maintenance`, `server ${created.uuid}: started`]))
    expect(output.some((line) => line.startsWith(`server ${created.uuid} is started at 198.51.100.`))).toBe(true)

    const generated = stand.state.passwords.get(created.uuid)!
    expect(generated).toMatch(/^\S{8,}$/)
    const everything = JSON.stringify([job, output, await engine.jobs.list()])
    expect(everything).not.toContain(generated)
    expect(everything).not.toContain(password)
  })

  it('server.list, server.get and resources.list read the servers', async () => {
    const engine = await engineFor(await standIn({ readyAfterMs: 0 }))
    const first = (await run(engine, 'server.create', server)).job.result as UpCloudServer
    await run(engine, 'server.create', { ...server, hostname: 'web2.example.com', zone: 'fi-hel1' })
    const listed = (await run(engine, 'server.list', {})).job.result as UpCloudServerSummary[]
    expect(listed).toHaveLength(2)
    expect(listed).toContainEqual(expect.objectContaining({ uuid: first.uuid, state: 'started', cores: 1, memoryMb: 2048, zone: 'de-fra1', tags: [] }))
    const got = (await run(engine, 'server.get', { uuid: first.uuid })).job.result
    expect(got).toEqual(first)
    const registered = engine.providers.get('upcloud')!
    const inventory = await registered.provider.resources!.list({
      config: registered.config,
      signal: new AbortController().signal,
      storage: registered.storage,
    })
    expect(inventory).toHaveLength(2)
  })

  it('server.stop stops softly, server.start starts, and starting a started server is a no-op', async () => {
    const stand = await standIn({ readyAfterMs: 0 })
    const engine = await engineFor(stand)
    const { uuid } = (await run(engine, 'server.create', server)).job.result as UpCloudServer
    const stopped = await run(engine, 'server.stop', { uuid, timeoutSeconds: 5 })
    expect(stopped.job.result).toMatchObject({ uuid, state: 'stopped' })
    expect(stopped.output).toContain(`stopping server ${uuid} (soft, 5 s)`)
    expect(stopped.output.some((line) => line.includes('hard'))).toBe(false)

    const started = await run(engine, 'server.start', { uuid })
    expect(started.job.result).toMatchObject({ uuid, state: 'started' })
    expect(started.output).toEqual(expect.arrayContaining([`server ${uuid}: maintenance`, `server ${uuid}: started`]))
    const again = await run(engine, 'server.start', { uuid })
    expect(again.job.status).toBe('completed')
    expect(again.output).toContain(`server ${uuid} is already started`)
  })

  it('server.stop falls back to a hard stop when the guest ignores the soft one', async () => {
    const stand = await standIn({ readyAfterMs: 0, ignoreSoftStop: true })
    const engine = await engineFor(stand)
    const { uuid } = (await run(engine, 'server.create', server)).job.result as UpCloudServer
    const { job, output } = await run(engine, 'server.stop', { uuid, timeoutSeconds: 1 })
    expect(job.result).toMatchObject({ state: 'stopped' })
    expect(output).toEqual(
      expect.arrayContaining([
        `stopping server ${uuid} (soft, 1 s)`,
        `server ${uuid} did not stop within 1 s; stopping it hard`,
        `stopping server ${uuid} (hard)`,
      ]),
    )
    const stops = stand.state.requests.filter((request) => request.path.endsWith('/stop'))
    expect(stops.map((request) => request.status)).toEqual([200, 200])
  })

  it('server.delete needs a stopped server, then removes it and its storages', async () => {
    const stand = await standIn({ readyAfterMs: 0 })
    const engine = await engineFor(stand)
    const created = (await run(engine, 'server.create', server)).job.result as UpCloudServer
    const refused = await run(engine, 'server.delete', { uuid: created.uuid })
    expect(refused.job.status).toBe('failed')
    expect(refused.job.error).toMatchObject({ code: 'SERVER_STATE_ILLEGAL' })
    expect(refused.job.error?.message).toContain('409')

    await run(engine, 'server.stop', { uuid: created.uuid, hard: true })
    const deleted = await run(engine, 'server.delete', { uuid: created.uuid })
    expect(deleted.job.result).toEqual({ uuid: created.uuid, deleted: true })
    expect(stand.state.servers.has(created.uuid)).toBe(false)
    expect(stand.state.storages.has(created.storageDevices[0]!.uuid)).toBe(false)
    expect(stand.state.requests.some((request) => request.method === 'DELETE' && request.path.endsWith('?storages=1'))).toBe(true)
  })

  it('undo of server.create stops the server, waits for stopped and deletes it with its disks', async () => {
    const stand = await standIn({ readyAfterMs: 0 })
    const engine = await engineFor(stand)
    const created = (await run(engine, 'server.create', server)).job.result as UpCloudServer
    const undone = await run(engine, 'server.create', server, { undo: { result: created } })
    expect(undone.job.status).toBe('completed')
    expect(undone.output).toEqual(expect.arrayContaining([`server ${created.uuid}: stopped`, `deleted server ${created.uuid} and its storages`]))
    expect(stand.state.servers.size).toBe(0)
    expect(stand.state.storages.size).toBe(0)
    const again = await run(engine, 'server.create', server, { undo: { result: created } })
    expect(again.output).toContain(`server ${created.uuid} is already gone`)
  })

  it('authenticates with a token as well as with username and password', async () => {
    const stand = await standIn()
    const engine = createEngine({ providers: [upcloud({ token, baseUrl: stand.apiUrl })] })
    await engine.start()
    cleanups.push(() => engine.stop())
    expect((await run(engine, 'zone.list', {})).job.status).toBe('completed')
    expect(() => createEngine({ providers: [upcloud({ username })] })).toThrow(ValidationError)
  })
})

describe('upcloud: failures', () => {
  it('bad credentials fail with 401 and the API’s code, never the password', async () => {
    const stand = await standIn()
    const wrong = 'WrongPass-0f3a9b7c'
    const engine = await engineFor(stand, { password: wrong })
    const { job, output } = await run(engine, 'server.list', {})
    expect(job.status).toBe('failed')
    expect(job.error).toMatchObject({
      code: 'AUTHENTICATION_FAILED',
      message: '[provisio] [upcloud] GET /server failed: 401 Authentication failed using the given username and password.',
    })
    const basic = Buffer.from(`${username}:${wrong}`).toString('base64')
    expect(JSON.stringify([job, output])).not.toContain(wrong)
    expect(JSON.stringify([job, output])).not.toContain(basic)
  })

  it('a server the API user may not touch fails at once with 403 SERVER_FORBIDDEN, never the password', async () => {
    const stand = await standIn()
    const engine = await engineFor(stand)
    const created = await run(engine, 'server.create', server)
    const uuid = (created.job.result as UpCloudServer).uuid
    stand.state.forbiddenServers.add(uuid)
    const { job, output } = await run(engine, 'server.stop', { uuid })
    expect(job.status).toBe('failed')
    expect(job.error).toMatchObject({ code: 'SERVER_FORBIDDEN', name: 'HttpError' })
    expect(job.error?.message).toBe(`[provisio] [upcloud] GET /server/${uuid} failed: 403 The server ${uuid} exists but is owned by another account.`)
    expect(stand.state.requests.filter((request) => request.status === 403)).toHaveLength(1)
    expect(stand.state.servers.get(uuid)?.state).toBe('started')
    const listed = await run(engine, 'server.list', {})
    expect((listed.job.result as UpCloudServerSummary[]).map((each) => each.uuid)).not.toContain(uuid)
    expect(JSON.stringify([job, output])).not.toContain(password)
  })

  it('an unknown server fails with SERVER_NOT_FOUND, a bad zone with the API’s 400', async () => {
    const engine = await engineFor(await standIn())
    const missing = await run(engine, 'server.get', { uuid: '00000000-0000-4000-8000-00000000beef' })
    expect(missing.job.error).toMatchObject({ code: 'SERVER_NOT_FOUND' })
    expect(missing.job.error?.message).toContain('404 The server 00000000-0000-4000-8000-00000000beef does not exist.')
    const badZone = await run(engine, 'server.create', { ...server, zone: 'xx-nowhere1' })
    expect(badZone.job.error).toMatchObject({ code: 'ZONE_INVALID' })
    const badTemplate = await run(engine, 'server.create', { ...server, template: 'No Such OS' })
    expect(badTemplate.job.error?.message).toBe('[provisio] [upcloud] no template titled "No Such OS"')
  })

  it('rides out 429s and 503s', async () => {
    const stand = await standIn()
    stand.inject({ status: 429, count: 3, path: '/1.3/zone' })
    stand.inject({ status: 503, count: 2, path: '/1.3/zone' })
    const engine = await engineFor(stand)
    const { job } = await run(engine, 'zone.list', {})
    expect(job.status).toBe('completed')
    expect(stand.state.requests.map((request) => request.status)).toEqual([429, 429, 429, 503, 503, 200])
  })

  it('a server stuck in maintenance ends with a timeout error', async () => {
    const stand = await standIn({ readyAfterMs: Infinity })
    const engine = await engineFor(stand, { readyTimeoutMs: 250 })
    const { job } = await run(engine, 'server.create', server)
    const [uuid] = stand.state.servers.keys()
    expect(job.error).toMatchObject({ code: 'WAIT_TIMEOUT' })
    expect(job.error?.message).toBe(`[provisio] [upcloud] server ${uuid} did not reach state started after 250 ms (last state: server ${uuid}: maintenance)`)
  })

  it('cancel mid-wait stops the polling', async () => {
    const stand = await standIn({ readyAfterMs: Infinity })
    const engine = await engineFor(stand)
    const submitted = await engine.jobs.submit({ provider: 'upcloud', action: 'server.create', input: server })
    await until(() => stand.state.requests.filter((request) => request.method === 'GET').length >= 3, 'polling started')
    await engine.jobs.cancel(submitted.id)
    expect((await engine.jobs.wait(submitted.id)).status).toBe('cancelled')
    // A read already in flight may still land; after that, nothing more is asked.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const seen = stand.state.requests.length
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(stand.state.requests.length).toBe(seen)
  })
})
