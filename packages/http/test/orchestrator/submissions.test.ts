import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ansible, tart, upcloud, vultr } from '@provisio/adapters'
import { createFakeTart, startUpCloudStandIn, startVultrStandIn, type FakeTart, type UpCloudStandIn, type VultrStandIn } from '@provisio/adapters/testing'
import type { WorkflowRecord } from '@provisio/engine'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createWorkspaces, workspaces, type Workspaces } from '../../src/workspaces'
import { expectEnvelopeError, startOrchestrator } from '../helpers'
import { markerPlaybook, tempRoot, unmarkPlaybook, writeTree } from '../workspaces/fixtures'

describe('orchestrator workflow submissions', () => {
  let test: Awaited<ReturnType<typeof startOrchestrator>>
  let vultrStandIn: VultrStandIn
  let upcloudStandIn: UpCloudStandIn
  let fakeTart: FakeTart
  let root: string
  let model: Workspaces
  let ws: string
  let markers: string

  beforeAll(async () => {
    vultrStandIn = await startVultrStandIn({ apiKey: 'vultr-key', port: 0, host: '127.0.0.1', readyAfterMs: 200, powerDelayMs: 50 })
    upcloudStandIn = await startUpCloudStandIn({
      username: 'u',
      password: 'p',
      port: 0,
      host: '127.0.0.1',
      readyAfterMs: 200,
      startAfterMs: 50,
      stopAfterMs: 50,
    })
    fakeTart = await createFakeTart({ dir: await mkdtemp(join(tmpdir(), 'provisio-fake-tart-')), seed: true, ipAfterMs: 100 })
  })
  afterAll(async () => {
    await fakeTart.cleanup()
    await vultrStandIn.close()
    await upcloudStandIn.close()
  })

  beforeEach(async () => {
    root = await tempRoot()
    markers = await tempRoot()
    vultrStandIn.state.instances.clear()
    vultrStandIn.state.requests.length = 0
    upcloudStandIn.state.servers.clear()
    test = await startOrchestrator({
      engine: {
        providers: [
          vultr({ apiKey: 'vultr-key', baseUrl: vultrStandIn.apiUrl, pollIntervalMs: 50, retries: 0 }),
          upcloud({ username: 'u', password: 'p', baseUrl: upcloudStandIn.apiUrl, pollIntervalMs: 50 }),
          tart({ binary: fakeTart.bin, vmLogDir: join(fakeTart.dir, 'logs') }),
          ansible(),
        ],
        plugins: [workspaces({ root })],
      },
      server: { workspacesRoot: root },
    })
    model = createWorkspaces({ root, storage: test.engine.storage })
    ws = join(root, 'default')
    return () => test.close()
  })

  async function submit(path: string, body: unknown, token = test.adminToken): Promise<WorkflowRecord> {
    const answer = await test.orchestrator('POST', path, { token, body })
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(Object.keys(answer.body).sort()).toEqual(['data', 'success'])
    expect(answer.body.success).toBe(true)
    expect(typeof answer.body.data).toBe('string')
    return test.engine.workflows.wait(answer.body.data)
  }

  async function output(workflow: WorkflowRecord, operationId: string): Promise<string[]> {
    const jobId = workflow.operations.find((operation) => operation.id === operationId)!.runs[0].jobId!
    const lines: string[] = []
    for await (const line of test.engine.jobs.output(jobId)) lines.push(line.line)
    return lines
  }

  const cloudSettings = `servers:
  - { name: web-1, provider: vultr, plan: vc2-1c-1gb, zone: ams, os_id: 2136 }
  - { name: db-1, provider: upcloud, plan: 1xCPU-2GB, zone: de-fra1 }
  - { name: old-1, address: 203.0.113.9 }
`

  it('servers/create creates each server at its provider, waits until ready and records it', async () => {
    await writeTree(ws, { 'production/settings.yaml': cloudSettings })
    const done = await submit('/workflows/servers/create', { infra: 'production', settings: 'settings.yaml', check_mode: false, wait: true })
    expect(done.status).toBe('completed')
    expect(done.labels).toMatchObject({ workspace: 'default', infra: 'production' })

    const instances = [...vultrStandIn.state.instances.values()]
    expect(instances.map((instance) => [instance.label, instance.region, instance.plan, instance.status])).toEqual([['web-1', 'ams', 'vc2-1c-1gb', 'active']])
    const servers = [...upcloudStandIn.state.servers.values()]
    expect(servers.map((server) => [server.title, server.zone, server.state])).toEqual([['db-1', 'de-fra1', 'started']])

    const records = await model.servers.list({ workspace: 'default', infra: 'production' })
    expect(records.map((record) => [record.name, record.provider, record.provider_id, record.ip])).toEqual([
      ['db-1', 'upcloud', [...upcloudStandIn.state.servers.keys()][0], expect.stringMatching(/^198\.51\.100\.\d+$/)],
      ['web-1', 'vultr', instances[0].id, instances[0].main_ip],
    ])
    expect(await output(done, 'plan')).toContain('server old-1: existing host 203.0.113.9, nothing to create')

    // Submitted again, nothing is created twice.
    const again = await submit('/workflows/servers/create', { infra: 'production', settings: 'settings.yaml' })
    expect(again.status).toBe('completed')
    expect(again.operations.map((operation) => operation.id)).toEqual(['plan'])
    expect(vultrStandIn.state.instances.size).toBe(1)
    expect(upcloudStandIn.state.servers.size).toBe(1)

    const audit = await test.api('GET', `/audit/logs?resource=${encodeURIComponent(`workflows/${done.id}`)}`, { token: test.adminToken })
    expect(audit.body.data).toEqual([
      expect.objectContaining({
        action: 'workflows.create',
        result: 'success',
        details: expect.objectContaining({ template: 'workspace.servers', workspace: 'default', infra: 'production' }),
      }),
    ])
  })

  it('servers/create clones and runs a tart VM and records the address tart reports', async () => {
    await writeTree(ws, { 'lab/settings.yaml': 'servers:\n  - { name: vm-1, provider: tart, image: ubuntu }\n' })
    const done = await submit('/workflows/servers/create', { infra: 'lab', settings: 'settings.yaml' })
    expect(done.status, JSON.stringify(done.operations.map((operation) => operation.error))).toBe('completed')
    expect(done.operations.map((operation) => `${operation.id} ${operation.provider}.${operation.action}`)).toEqual([
      'plan workspace.plan',
      'claim:vm-1 workspace.claim',
      'create:vm-1:1 tart.vm.clone',
      'create:vm-1 tart.vm.run',
      'record:vm-1 workspace.record',
    ])
    const vm = JSON.parse(await readFile(join(fakeTart.dir, 'vms', 'vm-1.json'), 'utf8'))
    expect(vm).toMatchObject({ Name: 'vm-1', State: 'running' })
    const ip = (done.operations.find((operation) => operation.id === 'create:vm-1')!.result as { ip_address: string }).ip_address
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
    expect(await model.servers.get('default', 'lab', 'vm-1')).toMatchObject({ provider: 'tart', provider_id: 'vm-1', ip })
  })

  it('rolling a servers/create back deletes the servers at their providers and forgets their records', async () => {
    await writeTree(ws, { 'production/settings.yaml': cloudSettings })
    const done = await submit('/workflows/servers/create', { infra: 'production', settings: 'settings.yaml' })
    expect(done.status).toBe('completed')
    expect(await model.servers.list()).toHaveLength(2)
    const rollback = await test.engine.rollback({
      workflowId: done.id,
      operationIds: done.operations.filter((operation) => operation.id !== 'plan').map((operation) => operation.id),
    })
    expect(rollback).toMatchObject({ success: true, operationsExecuted: 6, notReversible: [] })
    expect(vultrStandIn.state.instances.size).toBe(0)
    expect(upcloudStandIn.state.servers.size).toBe(0)
    expect(await model.servers.list()).toEqual([])
  })

  it('two submissions at once create a server once: the second finds it claimed', async () => {
    await writeTree(ws, { 'production/settings.yaml': 'servers:\n  - { name: web-1, provider: vultr, plan: vc2-1c-1gb, zone: ams, os_id: 2136 }\n' })
    const body = { infra: 'production', settings: 'settings.yaml' }
    const [first, second] = await Promise.all([submit('/workflows/servers/create', body), submit('/workflows/servers/create', body)])
    expect([first.status, second.status].sort()).toEqual(['completed', 'failed'])
    const loser = first.status === 'failed' ? first : second
    const winner = first.status === 'failed' ? second : first
    expect(loser.operations.find((operation) => operation.id === 'claim:web-1')!.error!.message).toMatch(
      new RegExp(`server web-1 of infra "production" (is being created by workflow ${winner.id}|was created meanwhile)`),
    )
    expect(vultrStandIn.state.instances.size).toBe(1)
    expect(await model.servers.list()).toEqual([expect.objectContaining({ name: 'web-1', workflow_id: winner.id })])
  })

  it("a server whose creation failed is created by the next submission (the failed workflow's claim is stale)", async () => {
    await writeTree(ws, { 'production/settings.yaml': 'servers:\n  - { name: web-1, provider: vultr, plan: vc2-1c-1gb, zone: ams, os_id: 2136 }\n' })
    vultrStandIn.inject({ status: 500, count: 1, path: '/instances' })
    const failed = await submit('/workflows/servers/create', { infra: 'production', settings: 'settings.yaml' })
    expect(failed.status).toBe('failed')
    expect(failed.operations.map((operation) => [operation.id, operation.status])).toEqual([
      ['plan', 'completed'],
      ['claim:web-1', 'completed'],
      ['create:web-1', 'failed'],
      ['record:web-1', 'skipped'],
    ])
    expect(vultrStandIn.state.instances.size).toBe(0)

    const retried = await submit('/workflows/servers/create', { infra: 'production', settings: 'settings.yaml' })
    expect(retried.status).toBe('completed')
    expect(vultrStandIn.state.instances.size).toBe(1)
  })

  it('check_mode validates and plans: the plan is the output, nothing is created', async () => {
    await writeTree(ws, {
      'production/settings.json': JSON.stringify({ servers: [{ name: 'web-1', provider: 'vultr', plan: 'vc2-1c-1gb', zone: 'ams', os_id: 2136 }] }),
    })
    const done = await submit('/workflows/servers/create', { infra: 'production', settings: 'settings.json', check_mode: true, wait: true })
    expect(done.status).toBe('completed')
    expect(done.operations.map((operation) => operation.id)).toEqual(['plan'])
    expect(await output(done, 'plan')).toEqual([
      'check mode: planning only, nothing is created',
      `infra production of workspace default (${join(ws, 'production', 'settings.json')})`,
      'server web-1: create with vultr instance.create (plan vc2-1c-1gb, region ams), wait until ready',
    ])
    expect(done.operations[0].result).toMatchObject({ operations: ['claim:web-1', 'create:web-1', 'record:web-1'] })
    expect(vultrStandIn.state.instances.size).toBe(0)
    expect(vultrStandIn.state.requests.filter((request) => request.method === 'POST')).toEqual([])
    expect(await model.servers.list()).toEqual([])
  })

  it('a missing infra or settings file is a task that ends failed naming the path', async () => {
    await writeTree(ws, { 'production/settings.yaml': cloudSettings })
    const noInfra = await submit('/workflows/servers/create', { infra: 'staging', settings: 'settings.yaml' })
    expect(noInfra.status).toBe('failed')
    expect(noInfra.operations[0].error!.message).toBe(`infra "staging" does not exist: no directory ${join(ws, 'staging')}`)
    expect(noInfra.error!.message).toBe(`operation "plan" failed: infra "staging" does not exist: no directory ${join(ws, 'staging')}`)

    const noSettings = await submit('/workflows/taskserv/create', {
      operation: 'create',
      taskserv: 'nginx',
      infra: 'production',
      settings: 'config.k',
      check_mode: false,
      wait: true,
    })
    expect(noSettings.status).toBe('failed')
    expect(noSettings.operations[0].error!.message).toBe(`settings file ${join(ws, 'production', 'config.k')} does not exist`)

    const checked = await submit('/workflows/cluster/create', { cluster_type: 'buildkit', infra: 'staging', settings: 'settings.yaml', check_mode: true })
    expect(checked.status).toBe('failed')
    expect(checked.operations[0].error!.message).toContain(join(ws, 'staging'))
    expect(vultrStandIn.state.instances.size).toBe(0)
  })

  it('taskserv/create runs the playbook from the workspace with ansible on the infra servers', async () => {
    await writeTree(ws, {
      'taskservs/marker.yml': markerPlaybook,
      'taskservs/unmark.yml': unmarkPlaybook,
      'production/settings.yaml': `servers:
  - { name: local-1, address: 127.0.0.1, vars: { ansible_connection: local } }
  - { name: local-2, address: 127.0.0.2, vars: { ansible_connection: local } }
  - { name: future-1, provider: vultr, plan: vc2-1c-1gb, zone: ams, os_id: 2136 }
taskservs:
  - name: marker
    playbook: taskservs/marker.yml
    remove_playbook: taskservs/unmark.yml
    servers: [local-2]
    vars: { marker_dir: ${JSON.stringify(markers)} }
`,
    })
    const done = await submit('/workflows/taskserv/create', { operation: 'create', taskserv: 'marker', infra: 'production', settings: 'settings.yaml' })
    expect(done.status, JSON.stringify(done.operations.map((operation) => operation.error))).toBe('completed')
    expect(await readFile(join(markers, 'marker-local-2.txt'), 'utf8')).toBe('marker on local-2 (127.0.0.2) of production\n')
    await expect(readFile(join(markers, 'marker-local-1.txt'), 'utf8')).rejects.toThrow(/ENOENT/)
    // The inventory holds every server with an address; the run is limited to the taskserv's.
    const inventory = await readFile(join(ws, 'production', '.provisio', 'inventory.yml'), 'utf8')
    expect(inventory).toContain('local-1:')
    expect(inventory).toContain('ansible_host: 127.0.0.2')
    expect(inventory).not.toContain('future-1')
    expect(done.operations.find((operation) => operation.id === 'taskserv:marker')!.result).toMatchObject({ exitCode: 0, hosts: { 'local-2': { failed: 0 } } })
    expect(await output(done, 'taskserv:marker')).toContain('TASK [Write a marker] **********************************************************')

    // `operation: delete` runs the remove_playbook.
    const removed = await submit('/workflows/taskserv/create', { operation: 'delete', taskserv: 'marker', infra: 'production', settings: 'settings.yaml' })
    expect(removed.status, JSON.stringify(removed.operations.map((operation) => operation.error))).toBe('completed')
    await expect(readFile(join(markers, 'marker-local-2.txt'), 'utf8')).rejects.toThrow(/ENOENT/)
  })

  it('cluster/create (buildkit) creates the cluster servers, then runs its taskservs on their recorded addresses', async () => {
    await writeTree(ws, {
      'taskservs/buildkit.yml': markerPlaybook,
      'production/settings.yaml': `servers:
  - { name: builder-1, provider: vultr, plan: vc2-1c-1gb, zone: fra, os_id: 2136, vars: { ansible_connection: local } }
taskservs:
  - { name: buildkit, playbook: taskservs/buildkit.yml, vars: { marker_dir: ${JSON.stringify(markers)} } }
clusters:
  - { name: builders, type: buildkit }
`,
    })
    const done = await submit('/workflows/cluster/create', {
      operation: 'create',
      cluster_type: 'buildkit',
      infra: 'production',
      settings: 'settings.yaml',
      check_mode: false,
      wait: true,
    })
    expect(done.status, JSON.stringify(done.operations.map((operation) => operation.error))).toBe('completed')
    expect(done.operations.map((operation) => operation.id)).toEqual([
      'plan',
      'claim:builder-1',
      'create:builder-1',
      'record:builder-1',
      'inventory',
      'taskserv:buildkit',
    ])
    const [instance] = [...vultrStandIn.state.instances.values()]
    expect(instance).toMatchObject({ label: 'builder-1', region: 'fra', status: 'active' })
    // The playbook saw the address the provider gave the new server.
    expect(await readFile(join(markers, 'buildkit-builder-1.txt'), 'utf8')).toBe(`buildkit on builder-1 (${instance.main_ip}) of production\n`)
    expect(await readFile(join(ws, 'production', '.provisio', 'inventory.yml'), 'utf8')).toContain(`ansible_host: ${instance.main_ip}`)
  })

  it('cluster/create (kubernetes) in check mode plans its servers, then containerd and kubernetes', async () => {
    await writeTree(ws, {
      'taskservs/containerd.yml': markerPlaybook,
      'taskservs/kubernetes.yml': markerPlaybook,
      'production/settings.yaml': `servers:
  - { name: cp-1, provider: upcloud, plan: 2xCPU-4GB, zone: de-fra1 }
  - { name: worker-1, address: 192.0.2.50 }
taskservs:
  - { name: containerd, playbook: taskservs/containerd.yml }
  - { name: kubernetes, playbook: taskservs/kubernetes.yml }
clusters:
  - { name: k8s-prod, type: kubernetes }
`,
    })
    const done = await submit('/workflows/cluster/create', { cluster_type: 'kubernetes', infra: 'production', settings: 'settings.yaml', check_mode: true })
    expect(done.status).toBe('completed')
    expect((await output(done, 'plan')).slice(2)).toEqual([
      'cluster k8s-prod (kubernetes)',
      'server cp-1: create with upcloud server.create (plan 2xCPU-4GB, zone de-fra1, template Debian GNU/Linux 12 (Bookworm)), wait until ready',
      'server worker-1: existing host 192.0.2.50, nothing to create',
      `inventory ${join(ws, 'production', '.provisio', 'inventory.yml')}: cp-1, worker-1`,
      'taskserv containerd: install with ansible-playbook taskservs/containerd.yml on cp-1, worker-1',
      'taskserv kubernetes: install with ansible-playbook taskservs/kubernetes.yml on cp-1, worker-1',
    ])
    expect(upcloudStandIn.state.servers.size).toBe(0)
    expect(test.engine.templates.list().map((template) => template.name)).toEqual([
      'cluster_create',
      'cluster.buildkit',
      'cluster.kubernetes',
      'workspace.servers',
      'workspace.taskserv',
    ])
  })

  it("submits on the caller's active workspace", async () => {
    const user = await test.userWithToken('dev', ['developer'])
    await model.create({ name: 'alpha', activate: true }, user.id)
    const done = await submit('/workflows/servers/create', { infra: 'production', settings: 'settings.yaml' }, user.token)
    expect(done.labels.workspace).toBe('alpha')
    expect(done.operations[0].error!.message).toContain(join(root, 'alpha', 'production'))
  })

  it('types are strict: a wrong type, an unknown field or a path that leaves the workspace is a 422', async () => {
    for (const body of [
      { infra: 'production', settings: 'settings.yaml', check_mode: 'no' },
      { infra: 'production', settings: 'settings.yaml', wait: 1 },
      { infra: 'production', settings: 'settings.yaml', extra: true },
      { infra: '../etc', settings: 'settings.yaml' },
      { infra: 'production', settings: '../../secrets.yaml' },
      { settings: 'settings.yaml' },
    ]) {
      const answer = await test.orchestrator('POST', '/workflows/servers/create', { token: test.adminToken, body })
      expect(answer.status, JSON.stringify(body)).toBe(422)
      expectEnvelopeError(answer.body)
    }
    const badOperation = await test.orchestrator('POST', '/workflows/taskserv/create', {
      token: test.adminToken,
      body: { operation: 'explode', taskserv: 'x', infra: 'p', settings: 's.yaml' },
    })
    expect(badOperation.status).toBe(422)
    expect((await test.engine.workflows.list()).total).toBe(0)
  })

  it('an unknown cluster_type is a 422 naming the known types', async () => {
    const answer = await test.orchestrator('POST', '/workflows/cluster/create', {
      token: test.adminToken,
      body: { cluster_type: 'nomad', infra: 'production', settings: 'settings.yaml' },
    })
    expect(answer.status).toBe(422)
    expectEnvelopeError(answer.body)
    expect(answer.body.error).toContain('no cluster type "nomad" (known: buildkit, kubernetes)')
  })

  it('needs workflows:create: a viewer is refused', async () => {
    const viewer = await test.userWithToken('watcher', ['viewer'])
    const answer = await test.orchestrator('POST', '/workflows/servers/create', {
      token: viewer.token,
      body: { infra: 'production', settings: 'settings.yaml' },
    })
    expect(answer.status).toBe(403)
    expectEnvelopeError(answer.body)
    const anonymous = await test.orchestrator('POST', '/workflows/servers/create', { body: { infra: 'production', settings: 'settings.yaml' } })
    expect(anonymous.status).toBe(401)
    expect((await test.engine.workflows.list()).total).toBe(0)
  })

  it('documents the three submissions in the OpenAPI document with their body schemas', async () => {
    const answer = await test.orchestrator('GET', '/openapi.json')
    expect(answer.status).toBe(200)
    const document = answer.body.data ?? answer.body
    for (const path of ['/workflows/servers/create', '/workflows/taskserv/create', '/workflows/cluster/create']) {
      const body = document.paths[path].post.requestBody.content['application/json'].schema
      expect(JSON.stringify(body)).toContain('check_mode')
    }
  })
})
