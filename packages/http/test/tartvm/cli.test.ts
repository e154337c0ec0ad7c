import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exitedWithin, startCli, waitForOutput } from '../cli-process'

const pageDir = fileURLToPath(new URL('./fixtures/page', import.meta.url))

/** `provisio serve --sandbox …` as a child process, on a machine without tart (the fake stands in). */
const serve = (args: string[]) => startCli(['serve', '--sandbox', ...args])

describe('provisio serve --surfaces tartvm', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisio-tartvm-cli-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('binds 127.0.0.1 whatever --host says, shows the URL and the token once, runs on the fake tart, keeps the token across restarts', async () => {
    const dataDir = join(dir, 'data')
    const args = ['--data-dir', dataDir, '--surfaces', 'tartvm', '--tartvm-port', '0', '--host', '0.0.0.0', '--tartvm-ui', pageDir]
    const first = serve(args)
    let token: string
    try {
      const [, url] = await waitForOutput(first, /tartvm\s+(http:\/\/127\.0\.0\.1:\d+)/, 40_000)
      const [, shown] = await waitForOutput(first, /X-Local-Token (\S+) \(created in (\S+)\/tartvm\/token/, 40_000)
      token = shown
      expect(first.output()).toContain(`de taartenfabriek page at ${url}/`)
      expect(first.output()).toMatch(/tart is not installed here: VMs are those of the fake tart CLI/)
      const file = join(dataDir, 'tartvm', 'token')
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      expect((await readFile(file, 'utf8')).trim()).toBe(token)

      expect(await (await fetch(`${url}/`)).text()).toContain(`window.API_TOKEN = "${token}";`)
      const vms = (await (await fetch(`${url}/api/vms`, { headers: { 'x-local-token': token } })).json()) as { name: string }[]
      expect(vms.map((vm) => vm.name)).toEqual(['ghcr.io/cirruslabs/macos-sequoia-base:latest', 'ubuntu'])
      expect((await fetch(`${url}/api/vms`)).status).toBe(403)

      first.child.kill('SIGTERM')
      expect(await exitedWithin(first)).toBe(0)
    } finally {
      first.child.kill('SIGKILL')
    }

    const second = serve(args)
    try {
      const [, url] = await waitForOutput(second, /tartvm\s+(http:\/\/127\.0\.0\.1:\d+)/, 40_000)
      await waitForOutput(second, new RegExp(`X-Local-Token ${token} \\(read from `), 40_000)
      // The kept token opens the API; answering also means start-up has ended, SIGTERM handler included.
      expect((await fetch(`${url}/api/vms`, { headers: { 'x-local-token': token } })).status).toBe(200)
      second.child.kill('SIGTERM')
      expect(await exitedWithin(second)).toBe(0)
    } finally {
      second.child.kill('SIGKILL')
    }
  }, 120_000)

  it('a task in flight when the server is killed runs to its end after the restart', async () => {
    const dataDir = join(dir, 'crash')
    const args = ['--data-dir', dataDir, '--surfaces', 'tartvm', '--tartvm-port', '0']
    const first = serve(args)
    let taskId: string
    let token: string
    try {
      const [, url] = await waitForOutput(first, /tartvm\s+(http:\/\/127\.0\.0\.1:\d+)/, 40_000)
      ;[, token] = await waitForOutput(first, /X-Local-Token (\S+) /, 40_000)
      const answer = await fetch(`${url}/api/vms/pull`, {
        method: 'POST',
        headers: { 'x-local-token': token, 'content-type': 'application/json' },
        body: JSON.stringify({ oci_url: 'ghcr.io/cirruslabs/debian:bookworm' }),
      })
      const task = (await answer.json()) as { id: string; status: string }
      expect(task.status).toBe('pending')
      taskId = task.id
      // No shutdown at all: the engine learns of the task from its storage alone.
      first.child.kill('SIGKILL')
      await first.exited
    } finally {
      first.child.kill('SIGKILL')
    }

    const second = serve(args)
    try {
      const [, url] = await waitForOutput(second, /tartvm\s+(http:\/\/127\.0\.0\.1:\d+)/, 40_000)
      const read = async () =>
        (await (await fetch(`${url}/api/tasks/${taskId}`, { headers: { 'x-local-token': token }, signal: AbortSignal.timeout(10_000) })).json()) as {
          status: string
          logs: string[]
        }
      await expect
        .poll(async () => (await read()).status, { timeout: 30_000 })
        .toBe('completed')
        .catch((error: Error) => {
          throw new Error(`${error.message}\nthe server printed:\n${second.output()}`)
        })
      expect((await read()).logs).toContain('100%')
      second.child.kill('SIGTERM')
      expect(await exitedWithin(second)).toBe(0)
    } finally {
      second.child.kill('SIGKILL')
    }
  }, 120_000)
})
