import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exitedWithin, startCli, waitForOutput } from '../cli-process'

const uiDir = fileURLToPath(new URL('./fixtures/ui', import.meta.url))

describe('provisio serve --surfaces cloudlab', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisio-cloudlab-cli-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('serves the UI and the API from flags; creates the default folders under the data dir; provisio.yaml sets the folders', async () => {
    const dataDir = join(dir, 'data')
    const run = startCli(['serve', '--data-dir', dataDir, '--surfaces', 'cloudlab', '--cloudlab-port', '0', '--cloudlab-ui', uiDir])
    try {
      const [, url] = await waitForOutput(run, /cloudlab\s+(http:\/\/127\.0\.0\.1:\d+)/, 40_000)
      await waitForOutput(run, /CloudLab Manager UI at/, 10_000)
      expect(run.output()).toContain(`cloudlab: CloudLab Manager UI at ${url}/`)
      expect((await stat(join(dataDir, 'cloudlab', 'services'))).isDirectory()).toBe(true)
      expect((await stat(join(dataDir, 'cloudlab', 'inventory_types'))).isDirectory()).toBe(true)
      expect(await (await fetch(`${url}/accept-invite/abc`)).text()).toContain('<title>CloudLab test page</title>')
      expect(await (await fetch(`${url}/api/auth/status`)).json()).toEqual({ setup_complete: false })
      expect(await (await fetch(`${url}/api/unknown`)).json()).toEqual({ detail: 'Not Found' })
      run.child.kill('SIGTERM')
      expect(await exitedWithin(run)).toBe(0)
    } finally {
      run.child.kill('SIGKILL')
    }

    // An existing CloudLab Manager's folders, named in provisio.yaml, are used where they are and not created.
    const cwd = join(dir, 'yaml')
    await mkdir(join(cwd, 'existing', 'services'), { recursive: true })
    await writeFile(
      join(cwd, 'provisio.yaml'),
      'dataDir: ./data\ncloudlab:\n  servicesDir: ./existing/services\n  inventoryTypesDir: ./existing/inventory_types\n  smtp:\n    host: 127.0.0.1\n    port: 2525\n    from: cloudlab@example.com\n',
    )
    const configured = startCli(['serve', '--surfaces', 'cloudlab', '--cloudlab-port', '0'], { cwd })
    try {
      const [, url] = await waitForOutput(configured, /cloudlab: API at (http:\/\/127\.0\.0\.1:\d+)\/api \(no UI/, 40_000)
      await expect(stat(join(cwd, 'data', 'cloudlab', 'services'))).rejects.toThrow(/ENOENT/)
      await expect(stat(join(cwd, 'existing', 'inventory_types'))).rejects.toThrow(/ENOENT/)
      // Answering means start-up has ended, its SIGTERM handler included.
      expect((await fetch(`${url}/api/auth/status`)).status).toBe(200)
      configured.child.kill('SIGTERM')
      expect(await exitedWithin(configured)).toBe(0)
    } finally {
      configured.child.kill('SIGKILL')
    }
  }, 120_000)

  it('a --cloudlab-ui folder without index.html stops the server at start, saying so', async () => {
    const run = startCli(['serve', '--data-dir', join(dir, 'bad-ui'), '--surfaces', 'cloudlab', '--cloudlab-port', '0', '--cloudlab-ui', join(uiDir, 'assets')])
    try {
      expect(await exitedWithin(run, 40_000)).not.toBe(0)
      expect(run.output()).toMatch(/index\.html is missing/)
    } finally {
      run.child.kill('SIGKILL')
    }
  }, 60_000)
})
