import { ansible, vultr } from '@provisio/adapters'
import { startVultrStandIn, type VultrStandIn } from '@provisio/adapters/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeWithTool } from '../../../../../test/helpers/system-tools'
import { typeFiles } from './fixtures'
import { refusedSocket, runSocket, startInventory, writeTree, wsUrl, type InventoryServer } from './start'

const outputOf = (messages: { type: string; data?: string }[]) => messages.filter((message) => message.type === 'output').map((message) => message.data)

describe('cloudlab inventory: actions as engine jobs, live output, sync', () => {
  let app: InventoryServer
  let standIn: VultrStandIn
  let admin: string
  let eddie: { token: string } // may run `hello` on apps, not `fail`

  beforeAll(async () => {
    standIn = await startVultrStandIn({ apiKey: 'vultr-key', port: 0, host: '127.0.0.1', readyAfterMs: 0, powerDelayMs: 0 })
    app = await startInventory({ files: typeFiles, providers: [vultr({ apiKey: 'vultr-key', baseUrl: standIn.apiUrl, pollIntervalMs: 20 }), ansible()] })
    admin = app.adminToken
    await app.role('app_runner', ['inventory.app.view', 'inventory.app.hello'])
    eddie = await app.userWithRoles('eddie', ['app_runner'])
  })
  afterAll(async () => {
    await app?.close()
    await standIn?.close()
  })

  const createApp = async (name: string) => (await app.api('POST', '/api/inventory/app', { token: admin, body: { data: { name } } })).body

  it('runs a script action as an engine job and streams its output live over /api/inventory/ws/{id}/action?job=', async () => {
    const object = await createApp('app')
    const started = await app.api('POST', `/api/inventory/app/${object.id}/actions/hello`, { token: eddie.token, body: { inputs: { greeting: 'hi there' } } })
    expect(started).toEqual({ status: 200, body: { job_id: expect.any(String) } })
    const run = await runSocket(wsUrl(app.base, `/api/inventory/ws/${object.id}/action?job=${started.body.job_id}&token=${eddie.token}`))
    expect(run.code).toBe(1000)
    expect(run.messages[0]).toEqual({ type: 'job', job_id: started.body.job_id, status: 'running' })
    expect(outputOf(run.messages)).toEqual([
      '--- Running hello (script) ---',
      `$ bash ${app.servicesDir}/app/hello.sh`,
      'hello from app',
      'greeting=hi there',
      'line 1',
      'line 2',
      'line 3',
    ])
    expect(run.messages.at(-1)).toEqual({ type: 'status', job_id: started.body.job_id, status: 'completed' })

    const job = await app.engine.jobs.get(started.body.job_id)
    expect(job).toMatchObject({
      provider: 'cloudlab',
      action: 'inventory.action',
      status: 'completed',
      labels: {
        surface: 'cloudlab',
        'cloudlab.service': 'app',
        'cloudlab.action': 'hello',
        'cloudlab.username': 'eddie',
        inventory_type: 'app',
        object_id: String(object.id),
      },
    })
    const audited = await app.audit.query({ action: 'inventory.action.hello' })
    expect(audited.items[0]).toMatchObject({ username: 'eddie', resource: `inventory/app/${object.id}` })
  })

  it('runs an action named in ?action= over the socket, and a failing script ends failed with its exit code', async () => {
    const object = await createApp('app-2')
    await writeTree(app.servicesDir, { 'app-2/fail.sh': 'echo "about to fail"\nexit 3\n' })
    // eddie's role does not grant `fail`: refused before anything runs.
    const refused = await refusedSocket(wsUrl(app.base, `/api/inventory/ws/${object.id}/action?action=fail&token=${eddie.token}`))
    expect(refused).toEqual({ opened: false, status: 403, body: { detail: 'Permission denied' } })
    const run = await runSocket(wsUrl(app.base, `/api/inventory/ws/${object.id}/action?action=fail&token=${admin}`))
    expect(outputOf(run.messages)).toEqual(['--- Running fail (script) ---', `$ bash ${app.servicesDir}/app-2/fail.sh`, 'about to fail', '[EXIT CODE: 3]'])
    expect(run.messages.at(-1)).toMatchObject({ type: 'status', status: 'failed' })
    expect((await app.api('POST', `/api/inventory/app/${object.id}/actions/fail`, { token: eddie.token })).status).toBe(403)
    // Refused before the upgrade, as CloudLab's closes before accept reach a client: 403, never open.
    const refusals = [
      [`/api/inventory/ws/99999/action?action=hello&token=${admin}`, 'Object not found'],
      [`/api/inventory/ws/${object.id}/action?job=nope&token=${admin}`, 'Job not found'],
      [`/api/inventory/ws/${object.id}/action?action=nothing-like-it&token=${admin}`, "Action 'nothing-like-it' not found"],
      [`/api/inventory/ws/${object.id}/action?action=hello`, 'Not authenticated'],
      [`/api/inventory/ws/${object.id}/action?action=hello&token=${admin}x`, 'Invalid token'],
    ]
    for (const [path, detail] of refusals) {
      expect(await refusedSocket(wsUrl(app.base, path!))).toEqual({ opened: false, status: 403, body: { detail } })
    }
  })

  it("maps the real backend's container paths in an action's script, as for /api/services", async () => {
    const object = await createApp('app-3')
    await writeTree(app.servicesDir, {
      'app-3/hello.sh': '#!/bin/bash\ncd /services/app-3 && echo "at $(basename $PWD) via $0"\necho "services=$SERVICES_DIR"\n',
    })
    const started = await app.api('POST', `/api/inventory/app/${object.id}/actions/hello`, { token: admin })
    const job = await app.engine.jobs.wait(started.body.job_id)
    const lines: string[] = []
    for await (const { line } of app.engine.jobs.output(job.id)) lines.push(line)
    expect(job.status).toBe('completed')
    expect(lines).toEqual([
      '--- Running hello (script) ---',
      `[Container paths mapped: /services -> ${app.servicesDir}]`,
      '$ bash <script>',
      `at app-3 via ${app.servicesDir}/app-3/hello.sh`,
      `services=${app.servicesDir}`,
    ])
  })

  it('runs type actions and dynamic scripts (scripts.yaml) with inputs as INPUT_* variables', async () => {
    const typeRun = await app.api('POST', '/api/inventory/database/actions/restart_all', { token: admin })
    const done = await app.engine.jobs.wait(typeRun.body.job_id)
    expect(done.status).toBe('completed')
    const lines: string[] = []
    for await (const { line } of app.engine.jobs.output(done.id)) lines.push(line)
    expect(lines).toEqual(['--- Running restart_all (script) ---', `$ bash ${app.servicesDir}/database/restart.sh`, 'restarting all databases'])

    // The service type was filled from the services folder when the server started.
    const services = (await app.api('GET', '/api/inventory/service', { token: admin })).body.objects
    expect(services.map((object: { data: unknown }) => object.data)).toEqual([{ name: 'app', service_dir: '/services/app', status: 'available' }])
    const service = services[0]
    const scripted = await app.api('POST', `/api/inventory/service/${service.id}/actions/run_script`, {
      token: admin,
      body: { script: 'greet', inputs: { greeting: ['a', 'b'] } },
    })
    const finished = await app.engine.jobs.wait(scripted.body.job_id)
    const output: string[] = []
    for await (const { line } of app.engine.jobs.output(finished.id)) output.push(line)
    expect(output[0]).toBe('--- Running run_script (dynamic_scripts) ---')
    expect(output).toContain('greeting=a,b')
    expect(await app.api('POST', `/api/inventory/service/${service.id}/actions/run_script`, { token: admin, body: { script: 'nope' } })).toEqual({
      status: 400,
      body: { detail: "Script 'nope' not found for service 'app'" },
    })
    const escaping = (await app.api('POST', '/api/inventory/service', { token: admin, body: { data: { name: '../..' } } })).body
    expect(await app.api('POST', `/api/inventory/service/${escaping.id}/actions/deploy`, { token: admin })).toEqual({
      status: 400,
      body: { detail: 'Path traversal detected in script file' },
    })
  })

  it("a service object's config files: read with `config`, written with `edit`, through the operations part's checks", async () => {
    await app.api('POST', '/api/inventory/service/sync', { token: admin })
    const service = (await app.api('GET', '/api/inventory/service?search=app', { token: admin })).body.objects.find(
      (object: { data: { name: string } }) => object.data.name === 'app',
    )
    const listed = await app.api('GET', `/api/inventory/service/${service.id}/configs`, { token: admin })
    expect(listed.status).toBe(200)
    expect(listed.body.configs.map((config: { name: string }) => config.name)).toContain('config.yaml')

    const saved = await app.api('PUT', `/api/inventory/service/${service.id}/configs/config.yaml`, { token: admin, body: { content: 'replicas: 2\n' } })
    expect(saved).toMatchObject({ status: 200, body: { status: 'saved', filename: 'config.yaml' } })
    expect((await app.api('GET', `/api/inventory/service/${service.id}/configs/config.yaml`, { token: admin })).body).toEqual({
      filename: 'config.yaml',
      content: 'replicas: 2\n',
    })
    expect((await app.api('PUT', `/api/inventory/service/${service.id}/configs/config.yaml`, { token: admin, body: { content: 'a: [unclosed' } })).status).toBe(
      400,
    )
    expect((await app.api('GET', `/api/inventory/service/${service.id}/configs/config.yaml`, { token: admin })).body.content).toBe('replicas: 2\n')

    expect(await app.api('GET', `/api/inventory/service/${service.id}/configs`, { token: eddie.token })).toEqual({
      status: 403,
      body: { detail: 'Permission denied' },
    })
    expect((await app.api('GET', '/api/inventory/service/99999/configs', { token: admin })).status).toBe(404)
    expect((await app.api('GET', `/api/inventory/service/${service.id}/configs/..%2Fdeploy.sh`, { token: admin })).status).toBe(400)
  })

  it("a service object's stop (script_stop) destroys the service's Vultr instances through the operations part's job", async () => {
    await app.api('POST', '/api/inventory/service/sync', { token: admin })
    const service = (await app.api('GET', '/api/inventory/service?search=app', { token: admin })).body.objects.find(
      (object: { data: { name: string } }) => object.data.name === 'app',
    )
    for (const [label, tags] of [
      ['app-1', ['app']],
      ['other-1', ['other']],
    ] as const) {
      const job = await app.engine.jobs.submit({
        provider: 'vultr',
        action: 'instance.create',
        input: { region: 'ams', plan: 'vc2-1c-1gb', os_id: 2136, label, tags: [...tags] },
      })
      expect((await app.engine.jobs.wait(job.id)).status).toBe('completed')
    }
    const stop = await app.api('POST', `/api/inventory/service/${service.id}/actions/stop`, { token: admin })
    expect(stop.status).toBe(200)
    expect((await app.engine.jobs.wait(stop.body.job_id)).status).toBe('completed')
    const stopLines: string[] = []
    for await (const { line } of app.engine.jobs.output(stop.body.job_id)) stopLines.push(line)
    expect(stopLines.slice(0, 2)).toEqual(['--- Running stop (script_stop) ---', '--- Generating inventory ---'])
    const left = await app.engine.jobs.wait((await app.engine.jobs.submit({ provider: 'vultr', action: 'instance.list', input: {} })).id)
    expect((left.result as { label: string }[]).map((instance) => instance.label)).toEqual(['other-1'])
    const other = (left.result as { id: string }[])[0]
    await app.engine.jobs.wait((await app.engine.jobs.submit({ provider: 'vultr', action: 'instance.delete', input: { id: other.id } })).id)
  })

  it('syncs services, users, deployments and Vultr instances into their types', async () => {
    // service_discovery: folders with deploy.sh (the database type reads the same source).
    expect(await app.api('POST', '/api/inventory/database/sync', { token: admin })).toMatchObject({ status: 200, body: { ok: true } })
    const databases = (await app.api('GET', '/api/inventory/database', { token: admin })).body.objects
    expect(databases.map((object: { data: { name: string } }) => object.data)).toEqual([{ name: 'app', service_dir: '/services/app', status: 'available' }])

    await app.api('POST', '/api/inventory/user/sync', { token: admin })
    const users = (await app.api('GET', '/api/inventory/user?search=eddie', { token: admin })).body.objects
    expect(users[0].data).toMatchObject({ username: 'eddie', role: 'app_runner', status: 'active' })
    // Role names as CloudLab shows them: the built-in admin is its super-admin.
    const admins = (await app.api('GET', '/api/inventory/user?search=admin', { token: admin })).body.objects
    expect(admins.find((object: { data: { username: string } }) => object.data.username === 'admin').data).toMatchObject({
      display_name: 'admin',
      role: 'super-admin',
      status: 'active',
    })

    // deployment_sync: a finished deploy that printed DEPLOYMENT_ID.
    const service = (await app.api('GET', '/api/inventory/service?search=app', { token: admin })).body.objects.find(
      (object: { data: { name: string } }) => object.data.name === 'app',
    )
    const deploy = await app.api('POST', `/api/inventory/service/${service.id}/actions/deploy`, { token: admin })
    await app.engine.jobs.wait(deploy.body.job_id)
    // A finished deploy fills the deployment type by itself; the sync route does the same on demand.
    await expect.poll(async () => (await app.api('GET', '/api/inventory/deployment', { token: admin })).body.total).toBe(1)
    await app.api('POST', '/api/inventory/deployment/sync', { token: admin })
    const deployments = (await app.api('GET', '/api/inventory/deployment', { token: admin })).body.objects
    expect(deployments.map((object: { data: unknown }) => object.data)).toEqual([
      expect.objectContaining({ service_name: 'app', deployment_id: 'dep-42', job_id: deploy.body.job_id, status: 'completed', deployed_by: 'admin' }),
    ])

    // vultr_inventory: instances through the vultr adapter; an instance gone is an object gone.
    for (const label of ['web-1', 'web-2']) {
      const job = await app.engine.jobs.submit({
        provider: 'vultr',
        action: 'instance.create',
        input: { region: 'ams', plan: 'vc2-1c-1gb', os_id: 2136, label, tags: ['web'] },
      })
      expect((await app.engine.jobs.wait(job.id)).status).toBe('completed')
    }
    expect(await app.api('POST', '/api/inventory/server/sync', { token: admin })).toEqual({ status: 200, body: { ok: true, synced: 2, removed: 0 } })
    const servers = (await app.api('GET', '/api/inventory/server', { token: admin })).body.objects
    expect(servers.map((object: { data: { hostname: string } }) => object.data.hostname).sort()).toEqual(['web-1', 'web-2'])
    // A server goes by its hostname (its type's first required field) in their UI's lists.
    expect(servers.map((object: { name: string }) => object.name).sort()).toEqual(['web-1', 'web-2'])
    expect(servers[0].data).toMatchObject({ region: 'ams', plan: 'vc2-1c-1gb', vultr_tags: ['web'], ip_address: expect.stringMatching(/^203\.0\.113\./) })
    const gone = servers.find((object: { data: { hostname: string } }) => object.data.hostname === 'web-1')
    await app.engine.jobs.wait((await app.engine.jobs.submit({ provider: 'vultr', action: 'instance.delete', input: { id: gone.data.vultr_id } })).id)
    expect((await app.api('POST', '/api/inventory/server/sync', { token: admin })).body).toEqual({ ok: true, synced: 1, removed: 1 })
    expect((await app.api('GET', `/api/inventory/server/${gone.id}`, { token: admin })).status).toBe(404)

    // A finished instance refresh (the operations part's job) syncs the Vultr types by itself.
    const last = servers.find((object: { data: { hostname: string } }) => object.data.hostname === 'web-2')
    await app.engine.jobs.wait((await app.engine.jobs.submit({ provider: 'vultr', action: 'instance.delete', input: { id: last.data.vultr_id } })).id)
    expect((await app.api('POST', '/api/instances/refresh', { token: admin })).status).toBe(200)
    await expect.poll(async () => (await app.api('GET', '/api/inventory/server', { token: admin })).body.total).toBe(0)
    // The syncs' own Vultr listings are no cloudlab jobs: the jobs list (and the UI's dashboard) shows the refresh, not them.
    const jobs = (await app.api('GET', '/api/jobs', { token: admin })).body.jobs as { service: string; action: string }[]
    expect(jobs.filter((job) => job.action === 'instance.list' || job.service === '')).toEqual([])
    expect(jobs).toContainEqual(expect.objectContaining({ service: 'inventory', action: 'refresh' }))
  })
})

describeWithTool('ansible-playbook')('cloudlab inventory: playbook actions', () => {
  let app: InventoryServer
  beforeAll(async () => {
    app = await startInventory({
      files: {
        'inventory_types/database.yaml': `slug: database
label: Databases
fields: [{name: name, type: string, required: true}]
actions:
  - {name: backup, type: playbook, playbook: backup.yaml, vars_mapping: {db_name: "{{ name }}"}}
`,
        'services/orders/backup.yaml':
          '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n    - debug: {msg: "backing up {{ db_name }}"}\n',
      },
      providers: [ansible({ env: { ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false' } })],
    })
  })
  afterAll(() => app?.close())

  it("runs ansible-playbook with vars_mapping filled from the object's data", async () => {
    const object = (await app.api('POST', '/api/inventory/database', { token: app.adminToken, body: { data: { name: 'orders' } } })).body
    const run = await runSocket(wsUrl(app.base, `/api/inventory/ws/${object.id}/action?action=backup&token=${app.adminToken}`), { timeoutMs: 60_000 })
    expect(run.messages.at(-1)).toMatchObject({ type: 'status', status: 'completed' })
    expect(outputOf(run.messages)[0]).toBe('--- Running backup (playbook) ---')
    expect(outputOf(run.messages).join('\n')).toContain('backing up orders')
  }, 60_000)
})
