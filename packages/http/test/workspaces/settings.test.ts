import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadInfra, WorkspaceError } from '../../src/workspaces'
import { tempRoot, writeTree } from './fixtures'

const yamlSettings = `servers:
  - name: web-1
    provider: vultr
    plan: vc2-1c-1gb
    zone: ams
    os_id: 2136
  - name: bastion
    address: 203.0.113.7
    user: admin
    vars: { ansible_port: 2222 }
taskservs:
  - name: nginx
    playbook: taskservs/nginx.yml
    servers: [web-1]
    vars: { port: 8080 }
clusters:
  - name: builders
    type: buildkit
`

async function failure(promise: Promise<unknown>): Promise<WorkspaceError> {
  const error = await promise.then(
    () => undefined,
    (caught) => caught,
  )
  expect(error).toBeInstanceOf(WorkspaceError)
  return error
}

describe('infra settings', () => {
  it('loads YAML with provider fields passed through and defaults filled in', async () => {
    const ws = await tempRoot()
    await writeTree(ws, { 'prod/settings.yaml': yamlSettings })
    const loaded = await loadInfra(ws, 'prod', 'settings.yaml')
    expect(loaded.infraDir).toBe(join(ws, 'prod'))
    expect(loaded.settingsPath).toBe(join(ws, 'prod', 'settings.yaml'))
    expect(loaded.settings.servers[0]).toEqual({ name: 'web-1', provider: 'vultr', plan: 'vc2-1c-1gb', zone: 'ams', os_id: 2136, vars: {} })
    expect(loaded.settings.servers[1]).toEqual({ name: 'bastion', address: '203.0.113.7', user: 'admin', vars: { ansible_port: 2222 } })
    expect(loaded.settings.taskservs).toEqual([{ name: 'nginx', playbook: 'taskservs/nginx.yml', servers: ['web-1'], vars: { port: 8080 } }])
    expect(loaded.settings.clusters).toEqual([{ name: 'builders', type: 'buildkit' }])
  })

  it('loads JSON when the file ends in .json, from a sub-folder of the infra', async () => {
    const ws = await tempRoot()
    await writeTree(ws, { 'prod/conf/settings.json': JSON.stringify({ servers: [{ name: 'db', address: '127.0.0.1' }] }) })
    const loaded = await loadInfra(ws, 'prod', 'conf/settings.json')
    expect(loaded.settings).toEqual({ servers: [{ name: 'db', address: '127.0.0.1', vars: {} }], taskservs: [], clusters: [] })
  })

  it('names the missing workspace, infra folder or settings file', async () => {
    const ws = await tempRoot()
    await writeTree(ws, { 'prod/settings.yaml': yamlSettings })
    const noWorkspace = await failure(loadInfra(join(ws, 'gone'), 'prod', 'settings.yaml'))
    expect(noWorkspace.code).toBe('missing_workspace')
    expect(noWorkspace.message).toContain(join(ws, 'gone'))

    const noInfra = await failure(loadInfra(ws, 'staging', 'settings.yaml'))
    expect(noInfra.code).toBe('missing_infra')
    expect(noInfra.message).toBe(`infra "staging" does not exist: no directory ${join(ws, 'staging')}`)

    const noSettings = await failure(loadInfra(ws, 'prod', 'config.k'))
    expect(noSettings.code).toBe('missing_settings')
    expect(noSettings.message).toBe(`settings file ${join(ws, 'prod', 'config.k')} does not exist`)
  })

  it('reports unparsable files and every schema issue with the file path', async () => {
    const ws = await tempRoot()
    await writeTree(ws, {
      'prod/broken.yaml': 'servers: [\n',
      'prod/broken.json': '{"servers": ',
      'prod/wrong.yaml': `servers:
  - name: a
    provider: vultr
  - name: a
    address: 10.0.0.1
  - name: lost
taskservs:
  - name: t
    playbook: ../../etc/passwd
    servers: [ghost]
unknown_key: 1
`,
    })
    const yaml = await failure(loadInfra(ws, 'prod', 'broken.yaml'))
    expect(yaml.code).toBe('invalid_settings')
    expect(yaml.message).toContain(`settings file ${join(ws, 'prod', 'broken.yaml')} is not valid YAML`)
    expect((await failure(loadInfra(ws, 'prod', 'broken.json'))).message).toContain('is not valid JSON')

    const wrong = await failure(loadInfra(ws, 'prod', 'wrong.yaml'))
    expect(wrong.code).toBe('invalid_settings')
    expect(wrong.message).toContain(join(ws, 'prod', 'wrong.yaml'))
    expect(wrong.message).toContain('servers.2.provider: a server needs a `provider` to create it, or the `address` of a host that exists')
    expect(wrong.message).toContain('taskservs.0.playbook: a relative path that stays inside its directory')
    expect(wrong.message).toContain('unknown_key')
  })

  it('refuses a settings path that leaves the infra folder', async () => {
    const ws = await tempRoot()
    await writeTree(ws, { 'prod/settings.yaml': yamlSettings, 'secret.yaml': yamlSettings })
    expect((await failure(loadInfra(ws, 'prod', '../secret.yaml'))).message).toContain('is outside the infra directory')
  })

  it('checks references between servers, taskservs and clusters, and duplicate names', async () => {
    const ws = await tempRoot()
    await writeTree(ws, {
      'prod/settings.yaml': `servers:
  - { name: a, address: 10.0.0.1 }
  - { name: a, address: 10.0.0.2 }
taskservs:
  - { name: t, playbook: t.yml, servers: [ghost] }
clusters:
  - { name: c, type: buildkit, servers: [phantom] }
`,
    })
    const error = await failure(loadInfra(ws, 'prod', 'settings.yaml'))
    expect(error.message).toContain('servers: "a" is listed twice')
    expect(error.message).toContain('taskservs.0.servers: no server "ghost" in servers')
    expect(error.message).toContain('clusters.0.servers: no server "phantom" in servers')
  })
})
