import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeWithTool } from '../../../../../test/helpers/system-tools'
import { refusedSocket, runSocket, startInventory, writeTree, wsUrl, type InventoryServer } from './start'
import { startSshd, type Sshd } from './sshd'

interface Terminal {
  messages: any[]
  code: number
}

/**
 * Opens a terminal, resizes it as the web UI does on open, types `commands` once connected,
 * and collects messages until the server closes the socket.
 */
function useTerminal(url: string, commands: string): Promise<Terminal> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    const messages: any[] = []
    const timer = setTimeout(() => {
      socket.terminate()
      reject(new Error(`terminal did not close: ${JSON.stringify(messages)}`))
    }, 15_000)
    socket.on('open', () => socket.send(JSON.stringify({ type: 'resize', cols: 132, rows: 41 })))
    socket.on('message', (data) => {
      const message = JSON.parse(String(data))
      messages.push(message)
      if (message.type === 'connected') socket.send(JSON.stringify({ type: 'input', data: commands }))
    })
    socket.on('error', reject)
    socket.on('close', (code) => {
      clearTimeout(timer)
      resolve({ messages, code })
    })
  })
}

const screen = (messages: { type: string; data?: string }[]) =>
  messages
    .filter((message) => message.type === 'output')
    .map((message) => message.data)
    .join('')

describeWithTool('sshd')('cloudlab inventory: SSH terminal over WebSocket to a real sshd', () => {
  let dir: string
  let sshd: Sshd
  let app: InventoryServer
  let serverObject: { id: number }
  let sshOnly: string // inventory.server.ssh, nothing else
  let viewer: string // inventory.server.view only

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisio-sshd-'))
    sshd = await startSshd(dir)
    app = await startInventory()
    // CloudLab finds SSH logins in a service's outputs/temp_inventory.yaml.
    await writeTree(app.servicesDir, {
      'web/outputs/temp_inventory.yaml': `all:\n  hosts:\n    box-1:\n      ansible_host: 127.0.0.1\n      ansible_port: ${sshd.port}\n      ansible_user: ${sshd.user}\n      ansible_ssh_private_key_file: ${sshd.clientKey}\n`,
    })
    serverObject = (await app.api('POST', '/api/inventory/server', { token: app.adminToken, body: { data: { hostname: 'box-1', ip_address: '127.0.0.1' } } }))
      .body
    await app.role('ssh_only', ['inventory.server.ssh'])
    await app.role('server_viewer', ['inventory.server.view'])
    sshOnly = (await app.userWithRoles('sam', ['ssh_only'])).token
    viewer = (await app.userWithRoles('val', ['server_viewer'])).token
  }, 30_000)
  afterAll(async () => {
    await app?.close()
    await sshd?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('bridges input, output and resize to an interactive shell, then says "Connection closed" and closes 1000', async () => {
    const terminal = await useTerminal(wsUrl(app.base, `/api/inventory/server/ssh/box-1?token=${app.adminToken}`), 'echo "sum=$((6*7))"; stty size; exit\n')
    expect(terminal.messages[0]).toEqual({ type: 'connected', hostname: 'box-1', ip: '127.0.0.1', user: sshd.user, default_user: sshd.user })
    const text = screen(terminal.messages)
    expect(text).toContain('sum=42')
    // The resize sent on open reached the PTY.
    expect(text).toContain('41 132')
    expect(terminal.messages.at(-1)).toEqual({ type: 'error', message: 'Connection closed' })
    expect(terminal.code).toBe(1000)
    expect(terminal.messages.every((message) => message.type !== 'output' || message.data.length <= 4096)).toBe(true)
    const audited = await app.audit.query({ action: 'inventory.server.ssh' })
    expect(audited.items[0]).toMatchObject({ username: 'admin', resource: 'inventory/server/box-1' })
  })

  it("opens the same terminal by object id, over the seed's action socket and the instances path, for inventory.server.ssh", async () => {
    for (const path of [`/api/inventory/server/${serverObject.id}/ssh`, `/api/inventory/ws/${serverObject.id}/action`]) {
      const terminal = await useTerminal(wsUrl(app.base, `${path}?token=${sshOnly}`), 'echo "via=$((1+1))"; exit\n')
      expect(terminal.messages[0]).toMatchObject({ type: 'connected', hostname: 'box-1' })
      expect(screen(terminal.messages)).toContain('via=2')
    }
    // /api/instances/ssh needs instances.ssh, which sam's role does not give.
    expect(await refusedSocket(wsUrl(app.base, `/api/instances/ssh/box-1?token=${sshOnly}`))).toEqual({
      opened: false,
      status: 403,
      body: { detail: 'Permission denied: SSH access' },
    })
    const admin = await useTerminal(wsUrl(app.base, `/api/instances/ssh/box-1?token=${app.adminToken}`), 'exit\n')
    expect(admin.messages[0]).toMatchObject({ type: 'connected' })
    expect((await app.audit.query({ action: 'instance.ssh' })).items[0]).toMatchObject({ username: 'admin', resource: 'instances/box-1' })
  })

  it('refuses the handshake with 403 where CloudLab closes before accept (4001, 4002, 4004), and reports hosts without credentials and failed logins', async () => {
    const refusals = [
      [`/api/inventory/server/ssh/box-1?token=${viewer}`, 'Permission denied: SSH access'],
      [`/api/inventory/server/ssh/box-1?token=${app.adminToken}&user=${encodeURIComponent('no good!')}`, 'Invalid username format'],
      [`/api/inventory/server/99999/ssh?token=${app.adminToken}`, 'Object not found'],
      ['/api/inventory/server/ssh/box-1', 'Not authenticated'],
      ['/api/inventory/server/ssh/box-1?token=not-a-jwt', 'Invalid token'],
      ['/api/instances/ssh/box-1?token=not-a-jwt', 'Invalid token'],
    ]
    for (const [path, detail] of refusals) {
      expect(await refusedSocket(wsUrl(app.base, path!))).toEqual({ opened: false, status: 403, body: { detail } })
    }
    expect(await runSocket(wsUrl(app.base, `/api/inventory/server/ssh/elsewhere?token=${app.adminToken}`))).toMatchObject({
      code: 1008,
      messages: [{ type: 'error', message: 'No SSH credentials found for elsewhere' }],
    })
    const wrongUser = await runSocket(wsUrl(app.base, `/api/inventory/server/ssh/box-1?token=${app.adminToken}&user=nobody-here`))
    expect(wrongUser.messages).toEqual([{ type: 'error', message: expect.stringMatching(/^SSH connection failed: /) }])
    expect(wrongUser.code).toBe(1000)
  })
})
