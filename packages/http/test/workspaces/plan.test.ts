import { join } from 'node:path'
import { ansibleProvider, tartProvider, upcloudProvider, vultrProvider } from '@provisio/adapters'
import type { Provider } from '@provisio/engine'
import { describe, expect, it } from 'vitest'
import { loadInfra, planInfra, WorkspaceError, type PlanEnv, type ServerRecord } from '../../src/workspaces'
import { tempRoot, writeTree } from './fixtures'

function envWith(providers: Provider<any>[], records: ServerRecord[] = []): PlanEnv {
  const byName = new Map(providers.map((provider) => [provider.name, provider]))
  return { workspace: 'default', getAction: (provider, action) => byName.get(provider)?.actions[action], records }
}

const allProviders = [vultrProvider, upcloudProvider, tartProvider, ansibleProvider]

const settings = `servers:
  - { name: web-1, provider: vultr, plan: vc2-1c-1gb, zone: ams, os_id: 2136 }
  - { name: db-1, provider: upcloud, plan: 1xCPU-2GB, zone: de-fra1 }
  - { name: mac-1, provider: tart, image: sequoia-base }
  - { name: old-1, address: 203.0.113.9, user: deploy }
taskservs:
  - { name: nginx, playbook: taskservs/nginx.yml, servers: [web-1, old-1], remove_playbook: taskservs/nginx-remove.yml }
  - { name: buildkit, playbook: taskservs/buildkit.yml }
clusters:
  - { name: builders, type: buildkit, servers: [old-1] }
`

async function infra(files: Record<string, string> = {}) {
  const ws = await tempRoot()
  await writeTree(ws, { 'prod/settings.yaml': settings, 'taskservs/nginx.yml': '- hosts: all\n', 'taskservs/buildkit.yml': '- hosts: all\n', ...files })
  return { ws, loaded: await loadInfra(ws, 'prod', 'settings.yaml') }
}

const created: ServerRecord = {
  workspace: 'default',
  infra: 'prod',
  name: 'web-1',
  provider: 'vultr',
  provider_id: 'abc',
  ip: '192.0.2.10',
  created_at: '2026-01-01T00:00:00.000Z',
}

async function planError(promise: Promise<unknown>): Promise<WorkspaceError> {
  const error = await promise.then(
    () => undefined,
    (caught) => caught,
  )
  expect(error).toBeInstanceOf(WorkspaceError)
  return error
}

describe('plans', () => {
  it('servers/create: one operation chain per server to create, each followed by its record', async () => {
    const { loaded } = await infra()
    const plan = await planInfra(loaded, { kind: 'servers', wait: true }, envWith(allProviders))
    expect(plan.operations.map((operation) => [operation.id, `${operation.provider}.${operation.action}`, operation.dependsOn])).toEqual([
      ['claim:web-1', 'workspace.claim', ['plan']],
      ['create:web-1', 'vultr.instance.create', ['claim:web-1']],
      ['record:web-1', 'workspace.record', ['create:web-1']],
      ['claim:db-1', 'workspace.claim', ['plan']],
      ['create:db-1', 'upcloud.server.create', ['claim:db-1']],
      ['record:db-1', 'workspace.record', ['create:db-1']],
      ['claim:mac-1', 'workspace.claim', ['plan']],
      ['create:mac-1:1', 'tart.vm.clone', ['claim:mac-1']],
      ['create:mac-1', 'tart.vm.run', ['create:mac-1:1']],
      ['record:mac-1', 'workspace.record', ['create:mac-1']],
    ])
    const input = (id: string) => plan.operations.find((operation) => operation.id === id)!.input
    expect(plan.operations[0]).toMatchObject({
      input: { workspace: 'default', infra: 'prod', server: 'web-1' },
      concurrencyKey: 'workspace-claim:default:prod:web-1',
    })
    expect(input('create:web-1')).toEqual({ region: 'ams', plan: 'vc2-1c-1gb', label: 'web-1', hostname: 'web-1', os_id: 2136, wait: true })
    expect(input('create:db-1')).toMatchObject({ zone: 'de-fra1', plan: '1xCPU-2GB', title: 'db-1', template: 'Debian GNU/Linux 12 (Bookworm)', wait: true })
    expect(input('create:mac-1:1')).toEqual({ source: 'sequoia-base', name: 'mac-1' })
    expect(plan.lines).toEqual([
      `infra prod of workspace default (${loaded.settingsPath})`,
      'server web-1: create with vultr instance.create (plan vc2-1c-1gb, region ams), wait until ready',
      'server db-1: create with upcloud server.create (plan 1xCPU-2GB, zone de-fra1, template Debian GNU/Linux 12 (Bookworm)), wait until ready',
      'server mac-1: create with tart vm.clone of sequoia-base, then tart vm.run, wait until ready',
      'server old-1: existing host 203.0.113.9, nothing to create',
    ])
  })

  it('leaves servers this system created before alone', async () => {
    const { loaded } = await infra()
    const plan = await planInfra(loaded, { kind: 'servers', wait: false }, envWith(allProviders, [created]))
    expect(plan.operations.map((operation) => operation.id)).not.toContain('create:web-1')
    expect(plan.lines).toContain('server web-1: already created (vultr abc, 192.0.2.10), nothing to create')
    expect(plan.operations.find((operation) => operation.id === 'create:db-1')!.input).toMatchObject({ wait: false })
  })

  it('lists every issue: unregistered provider, invalid provider fields, unknown provider', async () => {
    const { loaded } = await infra({
      'prod/bad.yaml': `servers:
  - { name: a, provider: vultr, plan: vc2-1c-1gb, zone: ams }
  - { name: b, provider: aws, plan: t3.micro, zone: eu-west-1 }
  - { name: c, provider: upcloud, plan: 1xCPU-2GB, zone: de-fra1 }
`,
    })
    const bad = await loadInfra(loaded.workspaceDir, 'prod', 'bad.yaml')
    const error = await planError(planInfra(bad, { kind: 'servers', wait: true }, envWith([vultrProvider])))
    expect(error.code).toBe('invalid_plan')
    expect(error.message).toContain(bad.settingsPath)
    expect(error.message).toContain('server a: os_id: one of os_id, image_id, snapshot_id or app_id is required')
    expect(error.message).toContain('server b: provider "aws" cannot create servers (use one of vultr, upcloud, tart, or give its address)')
    expect(error.message).toContain('provider "upcloud" with action "server.create" is not registered on this server')
  })

  it('taskserv/create: an inventory of the target servers, then the playbook limited to them', async () => {
    const { ws, loaded } = await infra()
    const plan = await planInfra(loaded, { kind: 'taskserv', taskserv: 'nginx', operation: 'create' }, envWith(allProviders, [created]))
    const inventory = join(ws, 'prod', '.provisio', 'inventory.yml')
    expect(plan.operations).toEqual([
      {
        id: 'inventory',
        provider: 'workspace',
        action: 'inventory',
        input: {
          workspace: 'default',
          infra: 'prod',
          path: inventory,
          // Every server of the infra, those of this run required.
          hosts: [
            { name: 'web-1', required: true, vars: {} },
            { name: 'db-1', required: false, vars: {} },
            { name: 'mac-1', required: false, vars: {} },
            { name: 'old-1', address: '203.0.113.9', required: true, vars: { ansible_user: 'deploy' } },
          ],
        },
        dependsOn: ['plan'],
      },
      {
        id: 'taskserv:nginx',
        provider: 'ansible',
        action: 'playbook.run',
        input: { playbook: join(ws, 'taskservs', 'nginx.yml'), inventory, limit: ['web-1', 'old-1'], extraVars: { taskserv: 'nginx', infra: 'prod' }, cwd: ws },
        dependsOn: ['inventory'],
      },
    ])
    expect(plan.lines.slice(1)).toEqual([
      `inventory ${inventory}: web-1, old-1`,
      'taskserv nginx: install with ansible-playbook taskservs/nginx.yml on web-1, old-1',
    ])
  })

  it('taskserv/create refuses hosts without an address, a missing playbook or taskserv, and ansible not installed', async () => {
    const { loaded } = await infra()
    const noAddress = await planError(planInfra(loaded, { kind: 'taskserv', taskserv: 'nginx', operation: 'create' }, envWith(allProviders)))
    expect(noAddress.code).toBe('missing_address')
    expect(noAddress.message).toContain(`server web-1 has no address: give its \`address\` in ${loaded.settingsPath} or create it with servers/create`)

    const removal = await planError(planInfra(loaded, { kind: 'taskserv', taskserv: 'nginx', operation: 'delete' }, envWith(allProviders, [created])))
    expect(removal.message).toContain(`taskserv nginx: playbook ${join(loaded.workspaceDir, 'taskservs', 'nginx-remove.yml')} does not exist`)

    const unknown = await planError(planInfra(loaded, { kind: 'taskserv', taskserv: 'redis', operation: 'create' }, envWith(allProviders)))
    expect(unknown.message).toContain(`taskserv "redis" is not in ${loaded.settingsPath} (taskservs: nginx, buildkit)`)

    const noAnsible = await planError(planInfra(loaded, { kind: 'taskserv', taskserv: 'nginx', operation: 'create' }, envWith([vultrProvider], [created])))
    expect(noAnsible.message).toContain('provider "ansible" with action "playbook.run" is not registered on this server')
  })

  it('cluster/create: servers of the cluster, then its taskservs in order once their records exist', async () => {
    const { loaded } = await infra({
      'prod/cluster.yaml': `servers:
  - { name: b-1, provider: vultr, plan: vc2-1c-1gb, zone: ams, os_id: 2136 }
  - { name: b-2, address: 127.0.0.1 }
  - { name: other, address: 10.9.9.9 }
taskservs:
  - { name: buildkit, playbook: taskservs/buildkit.yml }
  - { name: nginx, playbook: taskservs/nginx.yml }
clusters:
  - { name: builders, type: buildkit, servers: [b-1, b-2] }
  - { name: k8s, type: kubernetes, taskservs: [nginx, buildkit] }
`,
    })
    const cluster = await loadInfra(loaded.workspaceDir, 'prod', 'cluster.yaml')
    const plan = await planInfra(cluster, { kind: 'cluster', clusterType: 'buildkit', taskservs: ['buildkit'] }, envWith(allProviders))
    expect(plan.operations.map((operation) => [operation.id, operation.dependsOn])).toEqual([
      ['claim:b-1', ['plan']],
      ['create:b-1', ['claim:b-1']],
      ['record:b-1', ['create:b-1']],
      ['inventory', ['plan', 'record:b-1']],
      ['taskserv:buildkit', ['inventory']],
    ])
    expect(plan.operations[3].input).toMatchObject({
      hosts: [
        { name: 'b-1', required: true, vars: {} },
        { name: 'b-2', address: '127.0.0.1', required: true, vars: {} },
        { name: 'other', address: '10.9.9.9', required: false, vars: {} },
      ],
    })
    expect(plan.lines[1]).toBe('cluster builders (buildkit)')

    // The cluster's own list wins over the type's; its servers default to all of them, created ones left alone.
    const k8sPlan = await planInfra(
      cluster,
      { kind: 'cluster', clusterType: 'kubernetes', taskservs: ['containerd'] },
      envWith(allProviders, [{ ...created, name: 'b-1' }]),
    )
    expect(k8sPlan.operations.map((operation) => operation.id)).toEqual(['inventory', 'taskserv:nginx', 'taskserv:buildkit'])
    expect(k8sPlan.operations[0].input).toMatchObject({
      hosts: [
        { name: 'b-1', required: true },
        { name: 'b-2', required: true },
        { name: 'other', required: true },
      ],
    })

    const none = await planError(planInfra(cluster, { kind: 'cluster', clusterType: 'nomad', taskservs: [] }, envWith(allProviders)))
    expect(none.message).toContain(`no cluster of type "nomad" in ${cluster.settingsPath}`)
  })

  it('cluster/create: with several clusters of the type, the request names one', async () => {
    const { loaded } = await infra({
      'prod/two.yaml': `servers:
  - { name: a, address: 10.0.0.1 }
  - { name: b, address: 10.0.0.2 }
taskservs:
  - { name: buildkit, playbook: taskservs/buildkit.yml }
clusters:
  - { name: blue, type: buildkit, servers: [a] }
  - { name: green, type: buildkit, servers: [b] }
`,
    })
    const two = await loadInfra(loaded.workspaceDir, 'prod', 'two.yaml')
    const ambiguous = await planError(planInfra(two, { kind: 'cluster', clusterType: 'buildkit', taskservs: ['buildkit'] }, envWith(allProviders)))
    expect(ambiguous.message).toContain('several clusters of type "buildkit"')
    expect(ambiguous.message).toContain('(blue, green): name one with `cluster`')
    const green = await planInfra(two, { kind: 'cluster', clusterType: 'buildkit', taskservs: ['buildkit'], cluster: 'green' }, envWith(allProviders))
    expect(green.operations[0].input).toMatchObject({
      hosts: [
        { name: 'a', required: false },
        { name: 'b', address: '10.0.0.2', required: true },
      ],
    })
    const wrongType = await planError(planInfra(two, { kind: 'cluster', clusterType: 'kubernetes', taskservs: [], cluster: 'green' }, envWith(allProviders)))
    expect(wrongType.message).toContain('no cluster "green" of type "kubernetes"')
  })
})
