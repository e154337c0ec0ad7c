import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectOperation, expectProvisioningError, startProvisioning, type ProvisioningTest } from './fixtures'

describe('provisioning surface: servers and operations on the UpCloud and Vultr stand-ins', () => {
  let t: ProvisioningTest

  beforeAll(async () => {
    t = await startProvisioning()
  })
  afterAll(() => t.close())

  const vultrServer = { provider: 'vultr', plan: 'vc2-1c-1gb', zone: 'ams', tags: ['web'], options: { os_id: 2136 } }
  const upcloudServer = { provider: 'upcloud', plan: '1xCPU-2GB', zone: 'de-fra1' }

  async function create(body: object) {
    const answer = await t.prov('POST', '/v1/servers/create', { token: t.adminToken, body })
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expectOperation(answer.body)
    expect(['pending', 'running']).toContain(answer.body.status)
    return answer.body.id as string
  }

  it('creates a server at Vultr and one at UpCloud; each operation completes with the server id and address', async () => {
    const [vultrOp, upcloudOp] = await Promise.all([create({ ...vultrServer, hostname: 'web-1' }), create({ ...upcloudServer, hostname: 'db-1' })])
    const vultrDone = await t.settle(vultrOp)
    expectOperation(vultrDone, 'completed')
    const instance = [...t.vultrStandIn.state.instances.values()][0]
    expect(vultrDone.result).toEqual({ server_id: instance.id, hostname: 'web-1', provider: 'vultr', ip_address: instance.main_ip })
    expect(instance).toMatchObject({ label: 'web-1', region: 'ams', plan: 'vc2-1c-1gb', tags: ['web'] })

    const upcloudDone = await t.settle(upcloudOp)
    expectOperation(upcloudDone, 'completed')
    const server = [...t.upcloudStandIn.state.servers.values()][0]
    expect(upcloudDone.result).toMatchObject({
      server_id: server.uuid,
      hostname: 'db-1',
      provider: 'upcloud',
      ip_address: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
    })

    const listed = await t.prov('GET', '/v1/servers', { token: t.adminToken })
    expect(listed.status).toBe(200)
    expect(listed.body).toEqual([
      {
        id: server.uuid,
        hostname: 'db-1',
        provider: 'upcloud',
        plan: '1xCPU-2GB',
        zone: 'de-fra1',
        ip_address: upcloudDone.result.ip_address,
        status: 'running',
        created_at: expect.any(String),
        workspace: 'default',
        infra: 'default',
      },
      {
        id: instance.id,
        hostname: 'web-1',
        provider: 'vultr',
        plan: 'vc2-1c-1gb',
        zone: 'ams',
        ip_address: instance.main_ip,
        status: 'running',
        created_at: expect.any(String),
        workspace: 'default',
        infra: 'default',
      },
    ])
    const status = await t.prov('GET', `/v1/servers/${instance.id}/status`, { token: t.adminToken })
    expect(status.body).toEqual(listed.body[1])

    // The same hostname again is a conflict, not a second server.
    expectProvisioningError(await t.prov('POST', '/v1/servers/create', { token: t.adminToken, body: { ...vultrServer, hostname: 'web-1' } }), 409)
  })

  it('lists filter by provider, status and workspace, and are paged', async () => {
    const byProvider = await t.prov('GET', '/v1/servers?provider=vultr', { token: t.adminToken })
    expect(byProvider.body.map((server: any) => server.hostname)).toEqual(['web-1'])
    expect(byProvider.headers.get('x-total-count')).toBe('1')
    expect((await t.prov('GET', '/v1/servers?status=running', { token: t.adminToken })).body).toHaveLength(2)
    expect((await t.prov('GET', '/v1/servers?status=stopped', { token: t.adminToken })).body).toEqual([])
    expect((await t.prov('GET', '/v1/servers?workspace=other', { token: t.adminToken })).body).toEqual([])
    const page = await t.prov('GET', '/v1/servers?page=2&per_page=1', { token: t.adminToken })
    expect(page.body.map((server: any) => server.hostname)).toEqual(['web-1'])
    expect(page.headers.get('link')).toContain('rel="prev"')

    const completed = await t.prov('GET', '/v1/operations?status=completed&provider=upcloud', { token: t.adminToken })
    expect(completed.body).toHaveLength(1)
    expectOperation(completed.body[0], 'completed')
    expect(completed.body[0].result.hostname).toBe('db-1')
    expect((await t.prov('GET', '/v1/operations?workspace=default', { token: t.adminToken })).headers.get('x-total-count')).toBe('2')
    expect((await t.prov('GET', '/v1/operations?status=failed', { token: t.adminToken })).body).toEqual([])
    const firstPage = await t.prov('GET', '/v1/operations?per_page=1', { token: t.adminToken })
    expect(firstPage.body).toHaveLength(1)
    expect(firstPage.headers.get('link')).toContain('</v1/operations?per_page=1&page=2>; rel="next"')
  })

  it('a server the provider lost is listed as missing', async () => {
    const instance = [...t.vultrStandIn.state.instances.values()][0]
    const kept = structuredClone(instance)
    t.vultrStandIn.state.instances.delete(instance.id)
    try {
      expect((await t.prov('GET', `/v1/servers/${instance.id}/status`, { token: t.adminToken })).body).toMatchObject({ hostname: 'web-1', status: 'missing' })
    } finally {
      t.vultrStandIn.state.instances.set(kept.id, kept)
    }
  })

  it("check_mode plans and creates nothing: the stand-ins' inventories are unchanged", async () => {
    const before = [t.vultrStandIn.state.instances.size, t.upcloudStandIn.state.servers.size]
    const id = await create({ ...vultrServer, hostname: 'web-planned', check_mode: true })
    const done = await t.settle(id)
    expectOperation(done, 'completed')
    expect(done.result).toEqual({
      check_mode: true,
      plan: [
        'infra default of workspace default ((request))',
        'server web-planned: create with vultr instance.create (plan vc2-1c-1gb, region ams), wait until ready',
      ],
      operations: ['claim:web-planned', 'create:web-planned', 'record:web-planned'],
    })
    expect([t.vultrStandIn.state.instances.size, t.upcloudStandIn.state.servers.size]).toEqual(before)
    expect((await t.prov('GET', '/v1/servers', { token: t.adminToken })).body.map((server: any) => server.hostname)).not.toContain('web-planned')
  })

  it('a create cancelled while it waits for its server leaves nothing behind at the provider or in the records', async () => {
    const before = t.vultrStandIn.state.instances.size
    const announced = once(t.engine, 'job:event')
    const id = await create({ ...vultrServer, hostname: 'web-cancelled' })
    const [event] = await announced
    expect(event.type).toBe('instance.created')
    expect(t.vultrStandIn.state.instances.size).toBe(before + 1)

    const cancelled = await t.prov('POST', `/v1/operations/${id}/cancel`, { token: t.adminToken })
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200)
    expectOperation(cancelled.body, 'cancelled')
    expect(t.vultrStandIn.state.instances.size).toBe(before)
    expect([...t.vultrStandIn.state.instances.values()].map((instance) => instance.label)).not.toContain('web-cancelled')
    // The create had no result to roll back: what it announced was undone by its own action's undo.
    const cleanup = await t.engine.jobs.list({ label: { cleanup_of: id } })
    expect(cleanup.items.map((job) => [job.provider, job.action, job.mode, job.status])).toEqual([['vultr', 'instance.create', 'undo', 'completed']])
    expect((await t.prov('GET', '/v1/servers', { token: t.adminToken })).body.map((server: any) => server.hostname)).not.toContain('web-cancelled')
    expectOperation(await t.settle(id), 'cancelled')
    // A finished operation is left as it is.
    expectOperation((await t.prov('POST', `/v1/operations/${id}/cancel`, { token: t.adminToken })).body, 'cancelled')
  })

  it('deletes a server at Vultr and one at UpCloud (stopped first); the records go with them', async () => {
    const servers = (await t.prov('GET', '/v1/servers', { token: t.adminToken })).body
    const operations = []
    for (const server of servers) {
      const answer = await t.prov('DELETE', `/v1/servers/${server.id}`, {
        token: t.adminToken,
        body: { workspace: 'default', server_id: server.id, force: false },
      })
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      expectOperation(answer.body)
      operations.push(answer.body.id)
    }
    for (const [index, id] of operations.entries()) {
      const done = await t.settle(id)
      expectOperation(done, 'completed')
      expect(done.result).toEqual({ server_id: servers[index].id, hostname: servers[index].hostname, deleted: true })
    }
    expect(t.vultrStandIn.state.instances.size).toBe(0)
    expect(t.upcloudStandIn.state.servers.size).toBe(0)
    expect((await t.prov('GET', '/v1/servers', { token: t.adminToken })).body).toEqual([])
    expectProvisioningError(await t.prov('GET', `/v1/servers/${servers[0].id}/status`, { token: t.adminToken }), 404)
  })

  it('a delete the provider refuses fails and keeps the record; with force the record goes', async () => {
    const id = await create({ ...vultrServer, hostname: 'web-gone' })
    const created = await t.settle(id)
    t.vultrStandIn.state.instances.clear()
    const refused = await t.prov('DELETE', `/v1/servers/${created.result.server_id}`, { token: t.adminToken })
    const failed = await t.settle(refused.body.id)
    expectOperation(failed, 'failed')
    expect(failed.error).toMatch(/delete:web-gone/)
    expect((await t.prov('GET', `/v1/servers/${created.result.server_id}/status`, { token: t.adminToken })).body.status).toBe('missing')

    const forced = await t.prov('DELETE', `/v1/servers/${created.result.server_id}`, { token: t.adminToken, body: { force: true } })
    await t.settle(forced.body.id)
    expectProvisioningError(await t.prov('GET', `/v1/servers/${created.result.server_id}/status`, { token: t.adminToken }), 404)
  })

  it("an operation of another surface is not one of this surface's", async () => {
    const other = await t.engine.workflows.submit({
      name: 'elsewhere',
      operations: [{ id: 'a', provider: 'workspace', action: 'forget', input: { workspace: 'default', infra: 'x', server: 'y' } }],
    })
    expectProvisioningError(await t.prov('GET', `/v1/operations/${other.id}`, { token: t.adminToken }), 404)
  })
})
