import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectDetail, startCloudlab, tempDir, writeServices, type CloudlabTest } from './starter'

const scriptsYaml = `scripts:
  - name: greet
    label: Greet someone
    file: greet.sh
    inputs:
      - {name: who, label: Who, type: text, required: true}
      - {name: colours, label: Colours, type: list}
  - name: wiki-style
    label: Uses the wiki's "script" key
    script: greet.sh
  - name: escape
    label: Leaves the service
    file: ../outside.sh
  - name: ghost
    label: Has no file
    file: ghost.sh
`

describe('cloudlab services: listing, deploy, scripts, stop', () => {
  let lab: CloudlabTest
  let services: string

  beforeAll(async () => {
    services = tempDir('services')
    writeServices(services, {
      'hello/deploy.sh': 'echo "deploying hello from $(pwd)"\necho DEPLOYMENT_ID=dep-42\necho done\n',
      'hello/instance.yaml': 'instances:\n  - {label: hello-1, plan: vc2-1c-1gb, region: ams, os: "Ubuntu 22.04 LTS x64", tags: [hello]}\n',
      'hello/outputs/service_outputs.yaml': 'outputs:\n  - {name: url, label: URL, type: url, value: "https://hello.example"}\n',
      'hello/outputs/temp_inventory.yaml': 'all:\n  hosts: {}\n',
      'tools/deploy.sh': 'exit 0\n',
      'tools/greet.sh': 'echo "hello $INPUT_WHO, colours=$INPUT_COLOURS"\n',
      'tools/scripts.yaml': scriptsYaml,
      'broken/deploy.sh': 'echo about to fail\nexit 3\n',
      'legacy/instance.yaml': 'instances: []\n',
      'legacy/main.yaml': '- hosts: localhost\n  gather_facts: false\n  tasks: []\n',
      'not-a-service/README.md': 'no deploy.sh here\n',
      'outside.sh': 'echo escaped\n',
    })
    lab = await startCloudlab({ servicesDir: services })
  })
  afterAll(() => lab?.close())

  it('lists folders with deploy.sh, or instance.yaml and main.yaml, with their scripts', async () => {
    const answer = await lab.call('GET', '/api/services')
    expect(answer.status).toBe(200)
    expect(answer.body.services.map((service: any) => service.name)).toEqual(['broken', 'hello', 'legacy', 'tools'])
    const hello = answer.body.services.find((service: any) => service.name === 'hello')
    expect(hello).toEqual({ name: 'hello', service_dir: join(services, 'hello'), scripts: [{ name: 'deploy', label: 'Deploy', file: 'deploy.sh' }] })
    const tools = answer.body.services.find((service: any) => service.name === 'tools')
    expect(tools.scripts.map((script: any) => [script.name, script.file])).toEqual([
      ['greet', 'greet.sh'],
      ['wiki-style', 'greet.sh'],
      ['escape', '../outside.sh'],
      ['ghost', 'ghost.sh'],
    ])
    expectDetail(await lab.call('GET', '/api/services', { token: lab.tokens.outsider }), 403, /^Permission denied: services\.view\b/)
    expectDetail(await lab.call('GET', '/api/services', { token: '' }), 401)
  })

  it('details a service with its parsed instance.yaml', async () => {
    const answer = await lab.call('GET', '/api/services/hello')
    expect(answer.status).toBe(200)
    expect(answer.body.name).toBe('hello')
    expect(answer.body.instance).toEqual({ instances: [{ label: 'hello-1', plan: 'vc2-1c-1gb', region: 'ams', os: 'Ubuntu 22.04 LTS x64', tags: ['hello'] }] })
    expectDetail(await lab.call('GET', '/api/services/not-a-service'), 404, 'Service not found')
    expectDetail(await lab.call('GET', '/api/services/%2E%2E%2Fetc'), 404, 'Service not found')
    expectDetail(await lab.call('GET', '/api/services/hello', { token: lab.tokens.outsider }), 403)
  })

  it('answers active deployments and outputs', async () => {
    expect((await lab.call('GET', '/api/services/active-deployments')).body).toEqual({ deployments: [{ name: 'hello' }] })
    expect((await lab.call('GET', '/api/services/outputs')).body).toEqual({
      outputs: { hello: [{ name: 'url', label: 'URL', type: 'url', value: 'https://hello.example' }] },
    })
    expect((await lab.call('GET', '/api/services/hello/outputs')).body.outputs).toHaveLength(1)
    expect((await lab.call('GET', '/api/services/tools/outputs')).body).toEqual({ outputs: [] })
    expectDetail(await lab.call('GET', '/api/services/nope/outputs'), 404)
    for (const path of ['/api/services/active-deployments', '/api/services/outputs', '/api/services/hello/outputs']) {
      expectDetail(await lab.call('GET', path, { token: lab.tokens.outsider }), 403)
    }
  })

  it('deploys: bash deploy.sh in the service folder, as an engine job with who started it', async () => {
    const answer = await lab.call('POST', '/api/services/hello/deploy', { token: lab.tokens.deployer })
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ job_id: expect.stringMatching(/^[0-9a-f]{8}$/), status: 'running' })
    const job = await lab.finished(answer.body.job_id)
    expect(job).toMatchObject({
      service: 'hello',
      action: 'deploy',
      script: null,
      status: 'completed',
      deployment_id: 'dep-42',
      username: 'deployer',
      started_by: 'deployer',
    })
    expect(job.output).toEqual([
      '--- Running deploy.sh for hello ---',
      `$ bash ${join(services, 'hello', 'deploy.sh')}`,
      `deploying hello from ${join(services, 'hello')}`,
      'DEPLOYMENT_ID=dep-42',
      'done',
    ])
    expect(job.started_at).toMatch(/\+00:00$/)
    const record = await lab.record(answer.body.job_id)
    expect(record.provider).toBe('cloudlab')
    expect(record.labels['cloudlab.user_id']).toBe(lab.userIds.deployer)
  })

  it('fails a deploy whose script exits nonzero, with the exit code as the last line', async () => {
    const answer = await lab.call('POST', '/api/services/broken/deploy')
    const job = await lab.finished(answer.body.job_id)
    expect(job.status).toBe('failed')
    expect(job.output.slice(-2)).toEqual(['about to fail', '[EXIT CODE: 3]'])
  })

  it('refuses deploys without the permission or of unknown services', async () => {
    expectDetail(await lab.call('POST', '/api/services/hello/deploy', { token: lab.tokens.reader }), 403, /^Permission denied: services\.deploy\b/)
    expectDetail(await lab.call('POST', '/api/services/nope/deploy'), 404, 'Service not found')
    expectDetail(await lab.call('POST', '/api/services/not-a-service/deploy'), 404, 'Service not found')
    expectDetail(await lab.call('POST', '/api/services/%2E%2E%2Ftools/deploy'), 404, 'Service not found')
  })

  it('runs scripts.yaml scripts with inputs as INPUT_<NAME>, lists comma-joined', async () => {
    const answer = await lab.call('POST', '/api/services/tools/run', {
      token: lab.tokens.deployer,
      body: { script: 'greet', inputs: { who: 'jake', colours: ['red', 'green'] } },
    })
    expect(answer.status).toBe(200)
    const job = await lab.finished(answer.body.job_id)
    expect(job).toMatchObject({ service: 'tools', action: 'script', script: 'greet', status: 'completed' })
    expect(job.output[0]).toBe('--- Running greet for tools ---')
    expect(job.output).toContain('hello jake, colours=red,green')
    const wiki = await lab.finished(
      (await lab.call('POST', '/api/services/tools/run', { body: { script: 'wiki-style', inputs: { who: 'wiki' } } })).body.job_id,
    )
    expect(wiki.output).toContain('hello wiki, colours=')
  })

  it('refuses script runs as the real backend does', async () => {
    const run = (body: unknown, service = 'tools', token?: string) => lab.call('POST', `/api/services/${service}/run`, { body, token })
    expectDetail(await run({ script: 'greet', inputs: {} }), 400, 'Missing required input: who')
    expectDetail(await run({ script: 'nope' }), 400, "Script 'nope' not found for service 'tools'")
    expectDetail(await run({ script: 'escape' }), 400, 'Path traversal detected in script file')
    expectDetail(await run({ script: 'ghost' }), 404, "Script file 'ghost.sh' not found")
    expectDetail(await run({ script: 'greet' }, 'nope'), 404, "Service 'nope' not found")
    expectDetail(await run({ script: 'greet', inputs: { who: 'x' } }, 'tools', lab.tokens.reader), 403, /^Permission denied: services\.deploy\b/)
    const missing = await run({ inputs: {} })
    expect(missing.status).toBe(422)
    expect(missing.body.detail[0].loc).toEqual(['body', 'script'])
    expect((await run({ script: 'greet', inputs: { who: { nested: true } } })).status).toBe(422)
    expect((await run({ script: 'greet', inputs: { 'bad name': 'x' } })).status).toBe(422)
    expect((await lab.call('POST', '/api/services/tools/run', { rawBody: '{"script":', headers: { 'content-type': 'application/json' } })).status).toBe(400)
  })

  it('stops a service and stops everything through jobs, each with its permission', async () => {
    const stop = await lab.call('POST', '/api/services/hello/stop')
    expect(stop.status).toBe(200)
    expect((await lab.finished(stop.body.job_id)).action).toBe('stop')
    expectDetail(await lab.call('POST', '/api/services/hello/stop', { token: lab.tokens.deployer }), 403, /^Permission denied: services\.stop\b/)
    expectDetail(await lab.call('POST', '/api/services/nope/stop'), 404, 'Service not found')
    const all = await lab.call('POST', '/api/services/actions/stop-all')
    expect(all.status).toBe(200)
    expect(await lab.finished(all.body.job_id)).toMatchObject({ service: 'all', action: 'stop_all', status: 'completed' })
    expectDetail(await lab.call('POST', '/api/services/actions/stop-all', { token: lab.tokens.deployer }), 403, /^Permission denied: system\.stop_all\b/)
  })
})

describe('cloudlab services: config files and inputs/outputs files', () => {
  let lab: CloudlabTest
  let services: string
  let elsewhere: string

  beforeAll(async () => {
    services = tempDir('files')
    writeServices(services, {
      'web/deploy.sh': 'exit 0\n',
      'web/config.yaml': 'replicas: 1\n',
      'web/inputs/seed.txt': 'seed\n',
      'big/deploy.sh': 'exit 0\n',
      'big/config.yaml': `# ${'x'.repeat(110 * 1024)}\n`,
      'secret.txt': 'outside the service\n',
    })
    symlinkSync(join(services, 'secret.txt'), join(services, 'web', 'inputs', 'link.txt'))
    symlinkSync(join(services, 'secret.txt'), join(services, 'web', 'outputs.yaml'))
    // An operator's layout: a service folder kept elsewhere and linked into services/.
    elsewhere = tempDir('elsewhere')
    writeServices(elsewhere, { 'deploy.sh': 'exit 0\n', 'config.yaml': 'linked: true\n' })
    symlinkSync(elsewhere, join(services, 'linked'))
    lab = await startCloudlab({ servicesDir: services })
  })
  afterAll(async () => {
    await lab?.close()
    rmSync(elsewhere, { recursive: true, force: true })
  })

  it('lists, reads and writes config files: valid YAML only, a .backup of the old one', async () => {
    const list = await lab.call('GET', '/api/services/web/configs')
    expect(list.body).toEqual({
      service_dir: join(services, 'web'),
      configs: [
        { name: 'config.yaml', exists: true },
        { name: 'instance.yaml', exists: false },
        { name: 'outputs.yaml', exists: true },
        { name: 'scripts.yaml', exists: false },
      ],
    })
    expect((await lab.call('GET', '/api/services/web/configs/config.yaml')).body).toEqual({ filename: 'config.yaml', content: 'replicas: 1\n' })
    const saved = await lab.call('PUT', '/api/services/web/configs/config.yaml', { body: { content: 'replicas: 3\n' } })
    expect(saved.body).toEqual({ status: 'saved', filename: 'config.yaml' })
    expect(readFileSync(join(services, 'web', 'config.yaml'), 'utf8')).toBe('replicas: 3\n')
    expect(readFileSync(join(services, 'web', 'config.yaml.backup'), 'utf8')).toBe('replicas: 1\n')
    expect((await lab.call('PUT', '/api/services/web/configs/instance.yaml', { body: { content: 'instances: []\n' } })).status).toBe(200)
    expect(existsSync(join(services, 'web', 'instance.yaml.backup'))).toBe(false)
  })

  it('serves a service folder that is a symlink, as an operator may keep them', async () => {
    expect((await lab.call('GET', '/api/services')).body.services.map((service: any) => service.name)).toContain('linked')
    expect((await lab.call('GET', '/api/services/linked/configs/config.yaml')).body.content).toBe('linked: true\n')
    expect((await lab.call('PUT', '/api/services/linked/configs/config.yaml', { body: { content: 'linked: 2\n' } })).status).toBe(200)
    expect(readFileSync(join(elsewhere, 'config.yaml'), 'utf8')).toBe('linked: 2\n')
  })

  it('refuses bad config requests without touching the file', async () => {
    expectDetail(await lab.call('PUT', '/api/services/web/configs/config.yaml', { body: { content: 'key: [unclosed\n' } }), 400, /^Invalid YAML/)
    expect(readFileSync(join(services, 'web', 'config.yaml'), 'utf8')).toBe('replicas: 3\n')
    expectDetail(await lab.call('PUT', '/api/services/web/configs/config.yaml', { body: { content: `a: "${'y'.repeat(102_400)}"` } }), 400, 'Content too large')
    expectDetail(await lab.call('GET', '/api/services/big/configs/config.yaml'), 400, /^File too large \(\d+ bytes\)$/)
    expectDetail(await lab.call('GET', '/api/services/web/configs/main.yaml'), 400, "File 'main.yaml' is not allowed")
    expectDetail(await lab.call('GET', '/api/services/web/configs/..%2F..%2Fsecret.txt'), 400, "File '../../secret.txt' is not allowed")
    expectDetail(await lab.call('GET', '/api/services/web/configs/scripts.yaml'), 404, "File 'scripts.yaml' not found")
    expectDetail(await lab.call('GET', '/api/services/web/configs/outputs.yaml'), 400, 'Path traversal detected')
    expectDetail(await lab.call('PUT', '/api/services/web/configs/outputs.yaml', { body: { content: 'a: 1' } }), 400, 'Path traversal detected')
    expect(readFileSync(join(services, 'secret.txt'), 'utf8')).toBe('outside the service\n')
    expectDetail(await lab.call('GET', '/api/services/nope/configs'), 404, 'Service not found')
    expectDetail(await lab.call('GET', '/api/services/nope/configs/config.yaml'), 404, 'Service not found')
    expect((await lab.call('PUT', '/api/services/web/configs/config.yaml', { body: { text: 'wrong key' } })).status).toBe(422)
    expect((await lab.call('PUT', '/api/services/web/configs/config.yaml', { body: { content: 42 } })).status).toBe(422)
    expectDetail(await lab.call('GET', '/api/services/web/configs', { token: lab.tokens.outsider }), 403, /^Permission denied: services\.config\.view\b/)
    expectDetail(await lab.call('GET', '/api/services/web/configs/config.yaml', { token: lab.tokens.outsider }), 403)
    expectDetail(
      await lab.call('PUT', '/api/services/web/configs/config.yaml', { token: lab.tokens.reader, body: { content: 'a: 1' } }),
      403,
      /^Permission denied: services\.config\.edit\b/,
    )
  })

  it('uploads (multipart), lists, downloads, edits and deletes files in inputs/ and outputs/', async () => {
    const form = new FormData()
    form.append('file', new Blob(['name,value\nx,1\n']), 'data.csv')
    const uploaded = await lab.call('POST', '/api/services/web/files/outputs', { rawBody: form })
    expect(uploaded.body).toEqual({ status: 'uploaded', filename: 'data.csv' })
    expect(readFileSync(join(services, 'web', 'outputs', 'data.csv'), 'utf8')).toBe('name,value\nx,1\n')

    const list = await lab.call('GET', '/api/services/web/files/outputs')
    expect(list.body.files).toEqual([{ name: 'data.csv', size: 15, modified: expect.stringMatching(/\+00:00$/) }])

    const download = await fetch(`${lab.base}/api/services/web/files/outputs/data.csv`, { headers: { authorization: `Bearer ${lab.tokens.reader}` } })
    expect(download.status).toBe(200)
    expect(download.headers.get('content-disposition')).toContain('attachment; filename="data.csv"')
    expect(await download.text()).toBe('name,value\nx,1\n')

    expect((await lab.call('PUT', '/api/services/web/files/outputs/data.csv', { body: { content: 'edited\n' } })).body).toEqual({
      status: 'saved',
      filename: 'data.csv',
    })
    expect(readFileSync(join(services, 'web', 'outputs', 'data.csv'), 'utf8')).toBe('edited\n')

    expect((await lab.call('DELETE', '/api/services/web/files/outputs/data.csv')).body).toEqual({ status: 'deleted', filename: 'data.csv' })
    expect(existsSync(join(services, 'web', 'outputs', 'data.csv'))).toBe(false)
    expect(readFileSync(join(services, 'web', 'outputs', 'data.csv.backup'), 'utf8')).toBe('edited\n')
    expect((await lab.call('GET', '/api/services/web/files/outputs')).body.files.map((file: any) => file.name)).toEqual(['data.csv.backup'])
  })

  it('refuses path traversal, other folders, oversize files and bad uploads', async () => {
    writeFileSync(join(services, 'web', 'inputs', 'keep.txt'), 'keep\n')
    const escapes = ['..%2F..%2Fsecret.txt', '..%2Fdeploy.sh', '%2E%2E%2F%2E%2E%2Fsecret.txt', 'link.txt']
    for (const name of escapes) {
      expectDetail(await lab.call('GET', `/api/services/web/files/inputs/${name}`), 400, 'Path traversal detected')
      expectDetail(await lab.call('PUT', `/api/services/web/files/inputs/${name}`, { body: { content: 'pwned' } }), 400, 'Path traversal detected')
      expectDetail(await lab.call('DELETE', `/api/services/web/files/inputs/${name}`), 400, 'Path traversal detected')
    }
    expect(readFileSync(join(services, 'secret.txt'), 'utf8')).toBe('outside the service\n')
    expect(readFileSync(join(services, 'web', 'deploy.sh'), 'utf8')).toBe('exit 0\n')

    const sneaky = new FormData()
    sneaky.append('file', new Blob(['pwned']), '../../secret.txt')
    expectDetail(await lab.call('POST', '/api/services/web/files/inputs', { rawBody: sneaky }), 400, 'Path traversal detected')
    expect(readFileSync(join(services, 'secret.txt'), 'utf8')).toBe('outside the service\n')

    expectDetail(await lab.call('GET', '/api/services/web/files/secrets'), 400, "Subdirectory must be one of: {'inputs', 'outputs'}")
    expectDetail(await lab.call('GET', '/api/services/web/files/..%2F..'), 400, "Subdirectory must be one of: {'inputs', 'outputs'}")
    expectDetail(await lab.call('GET', '/api/services/web/files/inputs/missing.txt'), 404, "File 'missing.txt' not found")
    expectDetail(await lab.call('DELETE', '/api/services/web/files/inputs/missing.txt'), 404, "File 'missing.txt' not found")
    expectDetail(await lab.call('GET', '/api/services/nope/files/inputs'), 404, 'Service not found')

    expectDetail(
      await lab.call('PUT', '/api/services/web/files/inputs/big.txt', { body: { content: 'z'.repeat(102_401) } }),
      400,
      'File too large (102401 bytes, max 102400)',
    )
    const big = new FormData()
    big.append('file', new Blob(['z'.repeat(102_401)]), 'big.bin')
    expectDetail(await lab.call('POST', '/api/services/web/files/inputs', { rawBody: big }), 400, 'File too large (102401 bytes, max 102400)')
    expect(existsSync(join(services, 'web', 'inputs', 'big.bin'))).toBe(false)

    const noFile = new FormData()
    noFile.append('other', 'x')
    const missing = await lab.call('POST', '/api/services/web/files/inputs', { rawBody: noFile })
    expect(missing.status).toBe(422)
    expect(missing.body.detail).toEqual([{ loc: ['body', 'file'], msg: 'Field required', type: 'missing' }])
    expect((await lab.call('POST', '/api/services/web/files/inputs', { body: { file: 'json is not a file' } })).status).toBe(422)
  })

  it("writes the real backend's audit actions for every change", async () => {
    const answer = await lab.call('POST', '/api/services/web/deploy', { token: lab.tokens.admin })
    await lab.finished(answer.body.job_id)
    const entries = (await lab.server.audit.query({ action: 'service.*', limit: 100 })).items
    const seen = new Map(
      entries.filter((entry) => entry.result === 'success' && entry.resource.startsWith('services/web')).map((entry) => [entry.action, entry]),
    )
    expect([...seen.keys()].sort()).toEqual(['service.config.edit', 'service.deploy', 'service.file.delete', 'service.file.edit', 'service.file.upload'])
    expect(seen.get('service.deploy')).toMatchObject({
      username: 'admin',
      resource: 'services/web',
      details: expect.objectContaining({ job_id: answer.body.job_id }),
    })
    expect(seen.get('service.config.edit')?.resource).toBe('services/web/configs/config.yaml')
    expect(seen.get('service.file.upload')?.resource).toBe('services/web/files/outputs/data.csv')
  })

  it('checks the files permissions on every route', async () => {
    expectDetail(await lab.call('GET', '/api/services/web/files/inputs', { token: lab.tokens.outsider }), 403, /^Permission denied: services\.files\.view\b/)
    expectDetail(await lab.call('GET', '/api/services/web/files/inputs/keep.txt', { token: lab.tokens.outsider }), 403)
    const form = new FormData()
    form.append('file', new Blob(['x']), 'x.txt')
    expectDetail(
      await lab.call('POST', '/api/services/web/files/inputs', { token: lab.tokens.reader, rawBody: form }),
      403,
      /^Permission denied: services\.files\.edit\b/,
    )
    expectDetail(await lab.call('PUT', '/api/services/web/files/inputs/keep.txt', { token: lab.tokens.reader, body: { content: 'x' } }), 403)
    expectDetail(await lab.call('DELETE', '/api/services/web/files/inputs/keep.txt', { token: lab.tokens.reader }), 403)
    expect(readFileSync(join(services, 'web', 'inputs', 'keep.txt'), 'utf8')).toBe('keep\n')
  })
})
