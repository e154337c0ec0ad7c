import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { INSTANCES_CACHED } from '../../../src/surfaces/cloudlab/operations'
import { expectDetail, startCloudlab, tempDir, writeServices, type CloudlabTest } from './starter'

interface Seed {
  label: string
  region: string
  plan: string
  tags: string[]
}

describe('cloudlab instances and costs over the Vultr stand-in', () => {
  let lab: CloudlabTest

  /** Creates instances the way anyone with the account's key would, straight at the (stand-in) API. */
  const seed = async (...instances: Seed[]) => {
    for (const instance of instances) {
      const response = await fetch(`${lab.vultr.apiUrl}/instances`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-key', 'content-type': 'application/json' },
        body: JSON.stringify({ ...instance, hostname: instance.label, os_id: 1743 }),
      })
      if (response.status !== 202) throw new Error(`seeding ${instance.label}: ${response.status} ${await response.text()}`)
    }
  }
  const labels = () => [...lab.vultr.state.instances.values()].map((instance) => instance.label).sort()
  const refresh = async () => (await lab.finished((await lab.call('POST', '/api/instances/refresh')).body.job_id)).status

  beforeAll(async () => {
    const servicesDir = tempDir('instances')
    writeServices(servicesDir, {
      'hello/deploy.sh': 'exit 0\n',
      'hello/instance.yaml': 'instances:\n  - {label: hello-extra, plan: vc2-1c-1gb, region: ams, tags: [lab]}\n',
    })
    lab = await startCloudlab({ servicesDir })
    await seed(
      { label: 'hello-1', region: 'ams', plan: 'vc2-1c-1gb', tags: ['hello'] },
      { label: 'hello-extra', region: 'ams', plan: 'vc2-1c-1gb', tags: ['lab'] },
      { label: 'web-1', region: 'fra', plan: 'vc2-1c-2gb', tags: ['web', 'lab'] },
      { label: 'db-1', region: 'ewr', plan: 'vc2-1c-1gb', tags: ['db'] },
      { label: 'db-2', region: 'ewr', plan: 'vc2-1c-2gb', tags: ['db'] },
    )
  })
  afterAll(() => lab?.close())

  it('answers an empty inventory before the first refresh', async () => {
    expect((await lab.call('GET', '/api/instances')).body).toEqual({ instances: { all: { hosts: {}, children: {} } }, cached_at: null })
    expect((await lab.call('GET', '/api/costs')).body).toMatchObject({ total_monthly_cost: 0, instances: [], source: 'computed', cached_at: null })
  })

  it('refreshes the cached inventory through a job (POST and GET), in the reference shape', async () => {
    const events: { id: string; type: string; data: unknown }[] = []
    const onEvent = (event: { id: string; type: string; data: unknown }) => events.push(event)
    lab.engine.on('job:event', onEvent)
    const post = await lab.call('POST', '/api/instances/refresh')
    expect(post.body).toEqual({ job_id: expect.stringMatching(/^[0-9a-f]{8}$/), status: 'running' })
    const job = await lab.finished(post.body.job_id)
    expect(job).toMatchObject({ service: 'inventory', action: 'refresh', status: 'completed' })
    expect(job.output[0]).toBe('--- Generating inventory ---')
    expect(job.output.at(-1)).toBe('[Inventory cached successfully]')
    lab.engine.off('job:event', onEvent)
    // What an inventory sync listens for, in place of the real backend's vultr_inventory sync.
    expect(events).toEqual([{ id: (await lab.record(post.body.job_id)).id, type: INSTANCES_CACHED, data: { cachedAt: expect.any(String) } }])

    const answer = (await lab.call('GET', '/api/instances', { token: lab.tokens.reader })).body
    expect(Object.keys(answer.instances.all.hosts).sort()).toEqual(['db-1', 'db-2', 'hello-1', 'hello-extra', 'web-1'])
    const web = [...lab.vultr.state.instances.values()].find((instance) => instance.label === 'web-1')!
    expect(answer.instances.all.hosts['web-1']).toEqual({
      ansible_host: web.main_ip,
      vultr_label: 'web-1',
      vultr_region: 'fra',
      vultr_plan: 'vc2-1c-2gb',
      vultr_os: 'Ubuntu 22.04 LTS x64',
      vultr_power_status: web.power_status,
      vultr_id: web.id,
      vultr_tags: ['web', 'lab'],
    })
    expect(answer.instances.all.children).toEqual({})
    expect(answer.cached_at).toMatch(/^\d{4}-\d\d-\d\dT.*\+00:00$/)

    const get = await lab.call('GET', '/api/instances/refresh')
    expect(get.status).toBe(200)
    expect((await lab.finished(get.body.job_id)).status).toBe('completed')
  })

  it('computes costs from the cached instances and plan prices, by tag and by region', async () => {
    const costs = (await lab.call('GET', '/api/costs', { token: lab.tokens.reader })).body
    expect(costs).toMatchObject({
      generated_at: null,
      account: { pending_charges: 0, balance: 0 },
      total_monthly_cost: 35,
      source: 'computed',
      cached_at: expect.stringMatching(/\+00:00$/),
    })
    expect(costs.instances.find((line: any) => line.label === 'web-1')).toMatchObject({
      hostname: 'web-1',
      plan: 'vc2-1c-2gb',
      region: 'fra',
      tags: ['web', 'lab'],
      monthly_cost: 10,
      hourly_cost: 0.015,
    })

    const byTag = (await lab.call('GET', '/api/costs/by-tag')).body
    expect(byTag.tags).toEqual([
      { tag: 'db', monthly_cost: 15, instance_count: 2 },
      { tag: 'lab', monthly_cost: 15, instance_count: 2 },
      { tag: 'web', monthly_cost: 10, instance_count: 1 },
      { tag: 'hello', monthly_cost: 5, instance_count: 1 },
    ])
    expect(byTag.by_tag).toEqual({ db: 15, lab: 15, web: 10, hello: 5 })
    const byRegion = (await lab.call('GET', '/api/costs/by-region')).body
    expect(byRegion.regions).toEqual([
      { region: 'ewr', monthly_cost: 15, instance_count: 2 },
      { region: 'ams', monthly_cost: 10, instance_count: 2 },
      { region: 'fra', monthly_cost: 10, instance_count: 1 },
    ])
    expect(byRegion.by_region).toEqual({ ewr: 15, ams: 10, fra: 10 })

    // The account's figures come from the Vultr account (GET /v2/account), read by the refresh.
    lab.vultr.state.account.balance = -42.5
    lab.vultr.state.account.pending_charges = 13.37
    const refreshed = await lab.call('POST', '/api/costs/refresh')
    const job = await lab.finished(refreshed.body.job_id)
    expect(job).toMatchObject({ service: 'costs', action: 'refresh', status: 'completed' })
    expect(job.output[0]).toBe('--- Fetching cost data from Vultr ---')
    expect(job.output).toContain('[Account balance cached]')
    expect((await lab.call('GET', '/api/costs')).body.account).toEqual({ pending_charges: 13.37, balance: -42.5 })
  })

  it('checks the instance and cost permissions on every route', async () => {
    const { outsider, reader } = lab.tokens
    for (const [method, path, token] of [
      ['GET', '/api/instances', outsider],
      ['GET', '/api/instances/refresh', reader],
      ['POST', '/api/instances/refresh', reader],
      ['POST', '/api/instances/web-1/fra/stop', reader],
      ['GET', '/api/costs', outsider],
      ['GET', '/api/costs/by-tag', outsider],
      ['GET', '/api/costs/by-region', outsider],
      ['POST', '/api/costs/refresh', reader],
    ] as const) {
      expectDetail(await lab.call(method, path, { token }), 403, /^Permission denied: (instances|costs)\.\w+\b/)
    }
    expectDetail(
      await lab.call('POST', '/api/instances/stop', { token: reader, body: { label: 'web-1', region: 'fra' } }),
      403,
      /^Permission denied: instances\.stop\b/,
    )
    expect(labels()).toContain('web-1')
  })

  it('refuses bad stop requests', async () => {
    for (const body of [{ label: 'web-1' }, { region: 'fra' }, { label: '', region: 'fra' }, { label: 'web-1', region: 42 }]) {
      const answer = await lab.call('POST', '/api/instances/stop', { body })
      expect(answer.status).toBe(422)
      expect(Array.isArray(answer.body.detail)).toBe(true)
    }
    expect(
      (await lab.call('POST', '/api/instances/stop', { rawBody: 'label=web-1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status,
    ).toBe(415)
    expect((await lab.call('POST', '/api/instances/%20/fra/stop')).status).toBe(422)
  })

  it('destroys one instance by path and by body, dropping it from the cache; an unknown one fails the job', async () => {
    const byPath = await lab.call('POST', '/api/instances/web-1/fra/stop')
    const job = await lab.finished(byPath.body.job_id)
    expect(job).toMatchObject({ service: 'web-1', action: 'destroy_instance', status: 'completed' })
    expect(job.output[0]).toBe('--- Destroying instance: web-1 (fra) ---')
    expect(job.output.at(-1)).toBe('[Instance removed from cache]')
    expect(labels()).not.toContain('web-1')
    expect(Object.keys((await lab.call('GET', '/api/instances')).body.instances.all.hosts)).not.toContain('web-1')

    const byBody = await lab.call('POST', '/api/instances/stop', { body: { label: 'db-2', region: 'ewr' } })
    expect((await lab.finished(byBody.body.job_id)).status).toBe('completed')
    expect(labels()).toEqual(['db-1', 'hello-1', 'hello-extra'])

    const wrongRegion = await lab.finished((await lab.call('POST', '/api/instances/db-1/ams/stop')).body.job_id)
    expect(wrongRegion.status).toBe('failed')
    expect(wrongRegion.output.at(-1)).toBe('[ERROR: no instance labelled db-1 in ams]')
    expect(labels()).toContain('db-1')
  })

  it("stops a service's instances (by tag and by its instance.yaml labels), then everything", async () => {
    const stop = await lab.finished((await lab.call('POST', '/api/services/hello/stop')).body.job_id)
    expect(stop.status).toBe('completed')
    expect(stop.output).toContain('--- Stopping hello instances ---')
    expect(stop.output).toContain('2 instance(s) to destroy')
    expect(labels()).toEqual(['db-1'])

    const all = await lab.finished((await lab.call('POST', '/api/services/actions/stop-all')).body.job_id)
    expect(all.output).toContain('--- Stopping all instances ---')
    expect(labels()).toEqual([])
    expect(await refresh()).toBe('completed')
    expect((await lab.call('GET', '/api/instances')).body.instances.all.hosts).toEqual({})
  })
})

describe('cloudlab instances without a Vultr provider', () => {
  it('fails the job with what is missing instead of pretending', async () => {
    const lab = await startCloudlab({ withoutVultr: true })
    try {
      const job = await lab.finished((await lab.call('POST', '/api/instances/refresh')).body.job_id)
      expect(job.status).toBe('failed')
      expect(job.output).toEqual(['--- Generating inventory ---', '[ERROR: the vultr provider is not configured on this server]'])
    } finally {
      await lab.close()
    }
  })
})
