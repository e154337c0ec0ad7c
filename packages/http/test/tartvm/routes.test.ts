import { stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { H3, serve } from 'h3'
import { afterEach, describe, expect, it } from 'vitest'
import { macos, startTartvm, type TartvmServer } from './helpers'

describe('tartvm surface: token, inventory and VM routes on the fake tart', () => {
  let app: TartvmServer | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  it('creates the token file 0600 on first start, reuses it on the next, and shows it nowhere else', async () => {
    app = await startTartvm()
    const mode = (await stat(app.tokenFile)).mode & 0o777
    expect(mode).toBe(0o600)
    expect(app.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const first = app.token
    await app.stop()
    app = await startTartvm({ root: app.root, fake: app.fake })
    expect(app.token).toBe(first)
    expect((await app.api('GET', '/api/vms')).status).toBe(200)
  })

  it('answers 403 in the FastAPI shape without or with a wrong X-Local-Token; health needs none', async () => {
    app = await startTartvm()
    for (const token of [null, '', 'wrong', `${app.token}x`]) {
      for (const [method, path] of [
        ['GET', '/api/vms'],
        ['GET', `/api/vms/${encodeURIComponent(macos)}`],
        ['POST', '/api/vms/refresh'],
        ['POST', '/api/vms/ubuntu/start'],
        ['GET', '/api/tasks/abc'],
        ['GET', '/api/tart/version'],
      ]) {
        const answer = await app.api(method, path, { token, body: {} })
        expect(answer.status, `${method} ${path} with ${token}`).toBe(403)
        expect(answer.body).toEqual({ detail: 'Invalid or missing X-Local-Token header' })
      }
    }
    expect(await app.api('GET', '/api/health', { token: null })).toMatchObject({ status: 200, body: { status: 'ok', version: '0.1.0' } })
  })

  it('lists the cached inventory with normalised VMs, and one VM by a name with / and :, raw or encoded', async () => {
    app = await startTartvm()
    const list = await app.api('GET', '/api/vms')
    expect(list.status).toBe(200)
    expect(list.body).toEqual([
      { name: macos, status: 'stopped', ip_address: null, source: 'OCI', os: 'darwin', cpu: 4, memory: '8G', disk_size: 50, display: '1024x768' },
      { name: 'ubuntu', status: 'stopped', ip_address: null, source: 'local', os: 'linux', cpu: 2, memory: '4G', disk_size: 20, display: '1024x768' },
    ])
    expect((await app.api('GET', `/api/vms/${macos}`)).body).toEqual(list.body[0])
    expect((await app.api('GET', `/api/vms/${encodeURIComponent(macos)}`)).body).toEqual(list.body[0])
    expect(await app.api('GET', '/api/vms/ghcr.io/nobody/missing:1')).toMatchObject({ status: 404, body: { detail: 'VM not found' } })
    expect((await app.api('GET', '/api/vms/categorized')).body).toEqual({ base_images: [list.body[0]], working_vms: [list.body[1]] })
  })

  it('gives a VM config with memory and disk normalised, cached until force_refresh', async () => {
    app = await startTartvm()
    for (const path of [`/api/vms/${macos}/config`, `/api/vms/${encodeURIComponent(macos)}/config`]) {
      const answer = await app.api('GET', path)
      expect(answer.status).toBe(200)
      expect(answer.body).toEqual({
        name: macos,
        cpu: 4,
        memory: '8G',
        disk_size: '50G',
        raw: { OS: 'darwin', CPU: 4, Memory: 8192, Disk: 50, DiskFormat: 'raw', Size: '22.000', Display: '1024x768', Running: false, State: 'stopped' },
      })
    }
    // Changed behind the cache's back (tart set): the cache answers until force_refresh.
    const { execFile } = await import('node:child_process')
    await new Promise((resolve, reject) =>
      execFile(app!.fake.bin, ['set', 'ubuntu', '--memory', '6144', '--cpu', '3'], (error) => (error ? reject(error) : resolve(undefined))),
    )
    expect((await app.api('GET', '/api/vms/ubuntu/config')).body).toMatchObject({ cpu: 2, memory: '4G' })
    expect((await app.api('GET', '/api/vms/ubuntu/config?force_refresh=true')).body).toMatchObject({ cpu: 3, memory: '6G', disk_size: '20G' })
    expect(await app.api('GET', '/api/vms/nobody/config')).toMatchObject({ status: 404, body: { detail: 'VM not found' } })
    expect(await app.api('GET', '/api/vms/ubuntu/config?force_refresh=maybe')).toMatchObject({
      status: 422,
      body: { detail: [{ loc: ['query', 'force_refresh'] }] },
    })
  })

  it('refresh picks up what changed in tart; the background refresh does too', async () => {
    app = await startTartvm({ surface: { refreshIntervalMs: 200 } })
    const { execFile } = await import('node:child_process')
    const tart = (args: string[]) => new Promise((resolve, reject) => execFile(app!.fake.bin, args, (error) => (error ? reject(error) : resolve(undefined))))
    await tart(['clone', 'ubuntu', 'ubuntu-copy'])
    const refreshed = await app.api('POST', '/api/vms/refresh', { body: {} })
    expect(refreshed.status).toBe(200)
    expect(refreshed.body.map((vm: { name: string }) => vm.name)).toEqual([macos, 'ubuntu', 'ubuntu-copy'])
    await tart(['delete', 'ubuntu-copy'])
    await expect.poll(async () => (await app!.api('GET', '/api/vms')).body.length, { timeout: 5_000 }).toBe(2)
  })

  it('tart version; 503 saying tart is not installed when its binary is missing', async () => {
    app = await startTartvm({ fake: { version: '2.22.4' } })
    expect(await app.api('GET', '/api/tart/version')).toMatchObject({ status: 200, body: { version: '2.22.4' } })
    await app.close()
    app = await startTartvm({ tart: { binary: '/nonexistent/tart' } })
    const answer = await app.api('GET', '/api/tart/version')
    expect(answer.status).toBe(503)
    expect(answer.body.detail).toMatch(/^Tart is not installed: "\/nonexistent\/tart" was not found/)
    expect((await app.api('POST', '/api/vms/refresh', { body: {} })).status).toBe(503)
    expect(await app.api('GET', '/api/vms')).toMatchObject({ status: 200, body: [] })
  })

  it('the routes the real page calls beyond 003 answer honestly', async () => {
    // A stand-in for GitHub's packages API, which the image list reads with the stored token.
    const github = new H3()
    const seen: string[] = []
    github.get('/orgs/cirruslabs/packages', (event) => {
      seen.push(`${event.req.headers.get('authorization')} ${event.url.search}`)
      if (event.req.headers.get('authorization') !== 'Bearer ghp_abcdefghijkl') return new Response('{}', { status: 401 })
      return [
        { name: 'macos-tahoe-base', description: 'Tahoe' },
        { name: 'ubuntu', description: 'not macOS' },
        { name: 'macos-sequoia-xcode', description: null },
      ]
    })
    github.get('/orgs/cirruslabs/packages/container/:name/versions', (event) =>
      event.context.params!.name === 'macos-tahoe-base'
        ? [
            { updated_at: '2026-11-01T00:00:00Z', metadata: { container: { tags: ['26.1', 'latest'] } } },
            { updated_at: '2026-10-01T00:00:00Z', metadata: { container: { tags: ['26.0'] } } },
          ]
        : [{ updated_at: '2026-09-01T00:00:00Z', metadata: { container: { tags: ['16.4'] } } }],
    )
    const standIn = serve(github, { port: 0, hostname: '127.0.0.1', silent: true, gracefulShutdown: false })
    await standIn.ready()
    try {
      app = await startTartvm({ surface: { githubApiUrl: new URL(standIn.url!).origin } })
      expect(await app.api('GET', '/api/settings/github-token')).toMatchObject({ status: 200, body: { configured: false, masked_token: null } })
      expect(await app.api('GET', '/api/vms/available-images')).toMatchObject({ status: 200, body: [] })
      expect(seen).toEqual([])
      expect(await app.api('POST', '/api/settings/github-token', { body: { token: 'ghp_abcdefghijkl' } })).toMatchObject({
        status: 200,
        body: { status: 'success' },
      })
      expect((await stat(join(dirname(app.tokenFile), 'github-token'))).mode & 0o777).toBe(0o600)
      expect((await app.api('GET', '/api/settings/github-token')).body).toEqual({ configured: true, masked_token: 'ghp_...ijkl' })
      expect(await app.api('GET', '/api/vms/available-images')).toMatchObject({
        status: 200,
        body: [
          {
            name: 'macos-sequoia-xcode',
            url: 'ghcr.io/cirruslabs/macos-sequoia-xcode:16.4',
            description: null,
            tags: ['16.4'],
            updated_at: '2026-09-01T00:00:00Z',
          },
          {
            name: 'macos-tahoe-base',
            url: 'ghcr.io/cirruslabs/macos-tahoe-base:latest',
            description: 'Tahoe',
            tags: ['26.1', 'latest', '26.0'],
            updated_at: '2026-11-01T00:00:00Z',
          },
        ],
      })
      expect(seen).toEqual(['Bearer ghp_abcdefghijkl ?package_type=container&per_page=100'])
      await app.api('POST', '/api/settings/github-token', { body: { token: 'ghp_revoked_token' } })
      expect(await app.api('GET', '/api/vms/available-images')).toMatchObject({
        status: 502,
        body: { detail: 'The GitHub API answered 401 for /orgs/cirruslabs/packages' },
      })
      expect(await app.api('POST', '/api/settings/github-token', { body: { token: null } })).toMatchObject({ body: { message: 'GitHub token cleared' } })
      expect((await app.api('GET', '/api/settings/github-token')).body.configured).toBe(false)
    } finally {
      await standIn.close(true)
    }

    expect(await app.api('POST', '/api/vms/ubuntu/reboot', { body: {} })).toMatchObject({ status: 404, body: { detail: 'Not Found' } })
    expect(await app.api('GET', '/')).toMatchObject({ status: 404, body: { detail: expect.stringMatching(/--tartvm-ui/) } })
  })

  it('documents itself: OpenAPI with the VM paths as {target}, the task WebSocket, docs without a token', async () => {
    app = await startTartvm()
    const document = (await app.api('GET', '/openapi.json', { token: null })).body
    expect(document.info.title).toBe('de taartenfabriek (tartvm) API')
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/vms', '/api/vms/{target}', '/api/tasks/{id}', '/api/vms/pull', '/ws/tasks/{id}']))
    expect(document.paths['/api/vms/{target}'].get.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'target', in: 'path' })]))
    // The X-Local-Token scheme: on every /api route but health, `?token=` on the WebSocket, none on the page.
    expect(document.components.securitySchemes).toMatchObject({
      localToken: { type: 'apiKey', in: 'header', name: 'X-Local-Token' },
      localTokenQuery: { type: 'apiKey', in: 'query', name: 'token' },
    })
    expect(document.paths['/api/vms'].get.security).toEqual([{ localToken: [] }])
    expect(document.paths['/api/vms/pull'].post.security).toEqual([{ localToken: [] }])
    expect(document.paths['/api/vms'].get.responses['403']).toMatchObject({ description: 'Invalid or missing X-Local-Token header' })
    expect(document.paths['/api/health'].get.security).toEqual([])
    expect(document.paths['/'].get.security).toEqual([])
    expect(document.paths['/ws/tasks/{id}'].get.security).toEqual([{ localTokenQuery: [] }])
    expect(document.paths['/ws/tasks/{id}'].get.responses['403']).toBeDefined()
  })
})
