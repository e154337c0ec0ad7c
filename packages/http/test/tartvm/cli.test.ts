import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../../../..')
const cli = join(root, 'packages/http/src/cli.ts')
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
const pageDir = fileURLToPath(new URL('./fixtures/page', import.meta.url))

interface Run {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

/** `provisio serve …` as a child process, on a machine without tart (the fake stands in). */
function serve(args: string[]): Run {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const key of Object.keys(env)) if (/^(PROVISIO_|VITEST|TEST$|NODE_ENV$)/.test(key)) delete env[key]
  const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, cli, 'serve', ...args], {
    cwd: root,
    env: { ...env, PATH: '/usr/bin:/bin', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)))
  return { child, output: () => output, exited }
}

async function waitFor(run: Run, pattern: RegExp, timeoutMs = 40_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const match = run.output().match(pattern)
    if (match) return match
    if (run.child.exitCode !== null) break
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`did not see ${pattern} in:\n${run.output()}`)
}

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
      const [, url] = await waitFor(first, /tartvm\s+(http:\/\/127\.0\.0\.1:\d+)/)
      const [, shown] = await waitFor(first, /X-Local-Token (\S+) \(created in (\S+)\/tartvm\/token/)
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
      expect(await first.exited).toBe(0)
    } finally {
      first.child.kill('SIGKILL')
    }

    const second = serve(args)
    try {
      await waitFor(second, new RegExp(`X-Local-Token ${token} \\(read from `))
      second.child.kill('SIGTERM')
      expect(await second.exited).toBe(0)
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
      const [, url] = await waitFor(first, /tartvm\s+(http:\/\/127\.0\.0\.1:\d+)/)
      ;[, token] = await waitFor(first, /X-Local-Token (\S+) /)
      const answer = await fetch(`${url}/api/vms/pull`, { method: 'POST', headers: { 'x-local-token': token, 'content-type': 'application/json' }, body: JSON.stringify({ oci_url: 'ghcr.io/cirruslabs/debian:bookworm' }) })
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
      const [, url] = await waitFor(second, /tartvm\s+(http:\/\/127\.0\.0\.1:\d+)/)
      const read = async () => (await (await fetch(`${url}/api/tasks/${taskId}`, { headers: { 'x-local-token': token } })).json()) as { status: string; logs: string[] }
      await expect.poll(async () => (await read()).status, { timeout: 20_000 }).toBe('completed')
      expect((await read()).logs).toContain('100%')
      second.child.kill('SIGTERM')
      expect(await second.exited).toBe(0)
    } finally {
      second.child.kill('SIGKILL')
    }
  }, 120_000)
})
