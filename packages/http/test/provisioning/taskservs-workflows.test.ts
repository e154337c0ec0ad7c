import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeWithTool } from '../../../../test/helpers/system-tools'
import { markerPlaybook, unmarkPlaybook, writeTree } from '../workspaces/fixtures'
import { expectOperation, expectProvisioningError, startProvisioning, type ProvisioningTest } from './fixtures'

describeWithTool('ansible-playbook')('provisioning surface: taskservs with ansible-playbook on localhost, workflows', { timeout: 90_000 }, () => {
  let t: ProvisioningTest
  let markers: string
  let ws: string
  let kept: string

  beforeAll(async () => {
    t = await startProvisioning()
    markers = await mkdtemp(join(tmpdir(), 'provisio-prov-markers-'))
    ws = join(t.root, 'default')
    await writeTree(ws, {
      'taskservs/marker.yml': markerPlaybook,
      'taskservs/marker-remove.yml': unmarkPlaybook,
      'taskservs/kept.yml': markerPlaybook,
      'lab/settings.yaml': `servers:
  - { name: local-1, address: 127.0.0.1, vars: { ansible_connection: local } }
  - { name: local-2, address: 127.0.0.2, vars: { ansible_connection: local } }
  - { name: builder-1, provider: vultr, plan: vc2-1c-1gb, zone: ams, os_id: 2136, vars: { ansible_connection: local } }
  - { name: builder-2, provider: upcloud, plan: 1xCPU-2GB, zone: de-fra1, vars: { ansible_connection: local } }
taskservs:
  - { name: buildkit, playbook: taskservs/marker.yml, vars: { marker_dir: ${JSON.stringify(markers)} } }
clusters:
  - { name: builders, type: buildkit, servers: [builder-1, builder-2] }
`,
    })
  })
  afterAll(async () => {
    await t.close()
    await rm(markers, { recursive: true, force: true })
  })

  async function post(path: string, body: object) {
    const answer = await t.prov('POST', path, { token: t.adminToken, body })
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expectOperation(answer.body)
    return answer.body.id as string
  }

  it('creates a taskserv: its playbook (by convention taskservs/<name>.yml) runs on the named servers only, config as extra vars', async () => {
    const id = await post('/v1/taskservs/create', { infra: 'lab', name: 'marker', servers: ['local-1'], config: { version: '1.2.3', marker_dir: markers } })
    // The next test's taskserv, installed meanwhile: playbook runs are what take time here.
    kept = await post('/v1/taskservs/create', { infra: 'lab', name: 'kept', servers: ['local-2'], config: { marker_dir: markers } })
    const done = await t.settle(id)
    expectOperation(done, 'completed')
    expect(done.result).toMatchObject({ taskserv_id: id, name: 'marker', servers: ['local-1'] })
    expect(await readFile(join(markers, 'marker-local-1.txt'), 'utf8')).toBe('marker on local-1 (127.0.0.1) of lab\n')
    await expect(readFile(join(markers, 'marker-local-2.txt'), 'utf8')).rejects.toThrow(/ENOENT/)

    expectOperation(await t.settle(kept), 'completed')
    const listed = await t.prov('GET', '/v1/taskservs?per_page=1&page=2', { token: t.adminToken })
    expect(listed.body).toEqual([
      { id, name: 'marker', version: '1.2.3', servers: ['local-1'], status: 'completed', workspace: 'default', created_at: expect.any(String) },
    ])
    expect(listed.headers.get('x-total-count')).toBe('2')
    expect((await t.prov('GET', '/v1/taskservs?status=failed', { token: t.adminToken })).body).toEqual([])
    expect((await t.prov('GET', '/v1/taskservs?workspace=other', { token: t.adminToken })).body).toEqual([])
  })

  it('deletes a taskserv with its removal playbook; it leaves the list', async () => {
    const install = (await t.prov('GET', '/v1/taskservs', { token: t.adminToken })).body.find((each: any) => each.name === 'marker')
    const removal = await t.prov('DELETE', `/v1/taskservs/${install.id}`, { token: t.adminToken, body: { taskserv_id: install.id } })
    expect(removal.status, JSON.stringify(removal.body)).toBe(200)
    expectOperation(await t.settle(removal.body.id), 'completed')
    await expect(readFile(join(markers, 'marker-local-1.txt'), 'utf8')).rejects.toThrow(/ENOENT/)
    expect((await t.prov('GET', '/v1/taskservs', { token: t.adminToken })).body.map((each: any) => each.name)).toEqual(['kept'])
    expectProvisioningError(await t.prov('DELETE', `/v1/taskservs/${install.id}`, { token: t.adminToken }), 404)
  })

  it('a taskserv without a removal playbook cannot be deleted: a 400 saying so; a missing playbook or server is refused up front', async () => {
    const refused = await t.prov('DELETE', `/v1/taskservs/${kept}`, { token: t.adminToken })
    expectProvisioningError(refused, 400)
    expect(refused.body.message).toBe(
      'Taskserv "kept" has no removal playbook: give its remove_playbook in the infra\'s settings, or add taskservs/kept-remove.yml to the workspace',
    )

    const noPlaybook = await t.prov('POST', '/v1/taskservs/create', { token: t.adminToken, body: { infra: 'lab', name: 'absent', servers: ['local-1'] } })
    expectProvisioningError(noPlaybook, 400)
    expect(noPlaybook.body.message).toContain(`playbook ${join(ws, 'taskservs', 'absent.yml')} does not exist`)
    const noServer = await t.prov('POST', '/v1/taskservs/create', { token: t.adminToken, body: { infra: 'lab', name: 'marker', servers: ['ghost'] } })
    expectProvisioningError(noServer, 404)
  })

  it("cluster_create end to end: the cluster's servers at Vultr and UpCloud, then its taskserv on them", async () => {
    const id = await post('/v1/workflows/submit', {
      workspace: 'default',
      workflow_type: 'cluster_create',
      parameters: { infra: 'lab', cluster_name: 'builders', node_count: 2 },
    })
    const done = await t.settle(id)
    expectOperation(done, 'completed')
    const workflow = await t.prov('GET', `/v1/workflows/${id}`, { token: t.adminToken })
    expect(workflow.body).toMatchObject({ id, workflow_type: 'cluster_create', status: 'completed' })
    expect(Object.keys(done.result.operations)).toEqual([
      'plan',
      'claim:builder-1',
      'claim:builder-2',
      'create:builder-1',
      'create:builder-2',
      'record:builder-1',
      'record:builder-2',
      'inventory',
      'taskserv:buildkit',
    ])
    expect(t.vultrStandIn.state.instances.size).toBe(1)
    expect(t.upcloudStandIn.state.servers.size).toBe(1)
    for (const host of ['builder-1', 'builder-2']) expect(await readFile(join(markers, `buildkit-${host}.txt`), 'utf8')).toContain(`buildkit on ${host}`)
    const servers = await t.prov('GET', '/v1/servers?workspace=default', { token: t.adminToken })
    expect(servers.body.map((server: any) => [server.hostname, server.infra, server.status])).toEqual([
      ['builder-1', 'lab', 'running'],
      ['builder-2', 'lab', 'running'],
    ])
    const used = (await t.prov('GET', '/v1/workspaces', { token: t.adminToken })).body.find((workspace: any) => workspace.name === 'default')
    expect(Date.parse(used.last_used)).toBeGreaterThan(Date.parse(done.created_at) - 1000)
  })

  it('cancelling a workflow undoes what it made; its parameters are checked against the template', async () => {
    await writeTree(ws, {
      'cancel/settings.yaml': `servers:
  - { name: slow-1, provider: vultr, plan: vc2-1c-1gb, zone: ams, os_id: 2136 }
taskservs:
  - { name: buildkit, playbook: taskservs/marker.yml }
clusters:
  - { name: one, type: buildkit }
`,
    })
    const before = t.vultrStandIn.state.instances.size
    const created = new Promise<void>((resolve) => t.engine.on('job:event', (event) => event.type === 'instance.created' && resolve()))
    const id = await post('/v1/workflows/submit', { workflow_type: 'cluster_create', parameters: { infra: 'cancel', cluster_name: 'one' } })
    await created
    const cancelled = await t.prov('POST', `/v1/workflows/${id}/cancel`, { token: t.adminToken })
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200)
    expectOperation(cancelled.body, 'cancelled')
    expect(t.vultrStandIn.state.instances.size).toBe(before)

    const invalid = await t.prov('POST', '/v1/workflows/submit', {
      token: t.adminToken,
      body: { workflow_type: 'cluster_create', parameters: { infra: 'lab', cluster_name: 'builders', node_count: 'three' } },
    })
    expectProvisioningError(invalid, 400)
    expect(invalid.body.message).toMatch(/invalid parameters of workflow type "cluster_create"/)
    const mismatch = await t.prov('POST', '/v1/workflows/submit', {
      token: t.adminToken,
      body: { workflow_type: 'cluster_create', parameters: { infra: 'lab', cluster_name: 'builders', node_count: 3 } },
    })
    expectProvisioningError(mismatch, 400)
    expect(mismatch.body.message).toBe('node_count does not match the cluster: node_count: cluster builders has 2 server(s) in its settings, not 3')
  })

  it('a workflow type of another plugin: any registered template, e.g. cluster.buildkit in check mode', async () => {
    const id = await post('/v1/workflows/submit', {
      workflow_type: 'cluster.buildkit',
      parameters: { infra: 'lab', settings: 'settings.yaml', check_mode: true },
    })
    const done = await t.settle(id)
    expectOperation(done, 'completed')
    expect(done.result.check_mode).toBe(true)
    expect(done.result.plan).toContain('cluster builders (buildkit)')
  })
})
