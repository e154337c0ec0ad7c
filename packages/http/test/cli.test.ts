import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../../..')
const cli = join(root, 'packages/http/src/cli.ts')
// By URL, so that the CLI can run from any working directory (provisio.yaml lookup).
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

/** The environment of a machine without cloud credentials, plus what a test adds. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const key of Object.keys(env)) if (/^(PROVISIO_|VULTR_|UPCLOUD_|VITEST|TEST$|NODE_ENV$)/.test(key)) delete env[key]
  return { ...env, PATH: '/usr/bin:/bin', NO_COLOR: '1', ...extra }
}

interface Run {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

function start(args: string[], options: { env?: Record<string, string>; cwd?: string; stdin?: string } = {}): Run {
  const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, cli, ...args], {
    cwd: options.cwd ?? root,
    env: cleanEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  child.stdin!.end(options.stdin ?? '')
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)))
  return { child, output: () => output, exited }
}

async function waitFor(run: Run, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const match = run.output().match(pattern)
    if (match) return match
    if (run.child.exitCode !== null) break
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`did not see ${pattern} in:\n${run.output()}`)
}

describe('provisio CLI (child process)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisio-cli-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('serve prints the surface URL, answers /health in sandbox mode, creates a 0600 key, and stops on SIGTERM', async () => {
    const dataDir = join(dir, 'serve')
    const run = start(['serve', '--data-dir', dataDir, '--control-center-port', '0', '--orchestrator-port', '0'], { env: { PROVISIO_ADMIN_PASSWORD: 'first-admin-password' } })
    try {
      const [, url] = await waitFor(run, /control-center\s+(http:\/\/127\.0\.0\.1:\d+)/)
      expect(run.output()).toMatch(/SANDBOX MODE: vultr/)
      expect(run.output()).toMatch(/Created the first administrator "admin"/)

      const health = (await (await fetch(`${url}/health`)).json()) as any
      expect(health).toMatchObject({ success: true, data: { status: 'healthy', sandbox: true } })
      expect(health.data.providers.map((p: any) => `${p.name}:${p.mode}`)).toEqual(expect.arrayContaining(['exec:live', 'vultr:sandbox', 'upcloud:sandbox', 'tart:sandbox']))

      const key = await stat(join(dataDir, 'jwt-signing.key'))
      expect(key.mode & 0o777).toBe(0o600)

      const login = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'first-admin-password' }) })
      expect(login.status).toBe(200)

      run.child.kill('SIGTERM')
      expect(await run.exited).toBe(0)
      expect(run.output()).toMatch(/SIGTERM: no longer accepting connections/)
      expect(run.output()).toMatch(/Stopped/)
      await expect(fetch(`${url}/health`)).rejects.toThrow()
    } finally {
      run.child.kill('SIGKILL')
    }
  })

  it('users add creates an administrator from stdin; the next serve logs them in and keeps the key', async () => {
    const dataDir = join(dir, 'users')
    const add = start(['users', 'add', 'root', '--role', 'admin', '--password-stdin', '--data-dir', dataDir], { stdin: 'from-stdin-password\n' })
    expect(await add.exited).toBe(0)
    expect(add.output()).toMatch(/Created user "root"/)
    const keyBefore = await stat(join(dataDir, 'jwt-signing.key'))

    const run = start(['serve', '--data-dir', dataDir, '--control-center-port', '0', '--orchestrator-port', '0'])
    try {
      const [, url] = await waitFor(run, /control-center\s+(http:\/\/127\.0\.0\.1:\d+)/)
      expect(run.output()).not.toMatch(/No users yet/)
      // The running server holds the data directory: the shell says so and where to go instead.
      const meanwhile = start(['users', 'add', 'late', '--data-dir', dataDir])
      expect(await meanwhile.exited).toBe(1)
      expect(meanwhile.output()).toMatch(/open in a running server \(process \d+\)\. Stop it and run this again, or create the user through its API \(POST \/users/)
      const login = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'root', password: 'from-stdin-password' }) })
      const body = (await login.json()) as any
      expect(body.data.user.roles).toEqual(['admin'])
      expect((await stat(join(dataDir, 'jwt-signing.key'))).ino).toBe(keyBefore.ino)
      run.child.kill('SIGINT')
      expect(await run.exited).toBe(0)
    } finally {
      run.child.kill('SIGKILL')
    }
  })

  it('without users or PROVISIO_ADMIN_PASSWORD, serve starts and says how to create the first administrator; YAML and env configure it', async () => {
    const cwd = join(dir, 'yaml')
    await rm(cwd, { recursive: true, force: true })
    await import('node:fs/promises').then((fs) => fs.mkdir(cwd, { recursive: true }))
    await writeFile(join(cwd, 'provisio.yaml'), 'dataDir: ./from-yaml\nports:\n  control-center: 1\nhosts:\n  control-center: 127.0.0.2\nrateLimits:\n  auth: 2\n')
    const run = start(['serve'], { cwd, env: { PROVISIO_CONTROL_CENTER_PORT: '0' } })
    try {
      const [, url] = await waitFor(run, /control-center\s+(http:\/\/127\.0\.0\.2:\d+)/)
      expect(run.output()).toMatch(/No users yet\. Restart with PROVISIO_ADMIN_PASSWORD .*or stop the server and create the first administrator with .?provisio users add admin --role admin/)
      expect(run.output()).toContain(join(cwd, 'provisio.yaml'))
      await stat(join(cwd, 'from-yaml', 'jwt-signing.key'))
      const answer = await fetch(`${url}/auth/login`, { method: 'POST', body: '{}' })
      expect(answer.headers.get('x-ratelimit-limit')).toBe('2')
      run.child.kill('SIGTERM')
      expect(await run.exited).toBe(0)
    } finally {
      run.child.kill('SIGKILL')
    }
  })

  it('an invalid configuration fails before serving and names the key', async () => {
    const cwd = join(dir, 'bad')
    await import('node:fs/promises').then((fs) => fs.mkdir(cwd, { recursive: true }))
    await writeFile(join(cwd, 'provisio.yaml'), 'storage: floppy\nrateLimits:\n  auth: many\nportz: {}\n')
    const run = start(['serve'], { cwd })
    expect(await run.exited).toBe(2)
    expect(run.output()).not.toMatch(/at loadServeConfig/)
    expect(run.output()).toMatch(/storage: /)
    expect(run.output()).toMatch(/rateLimits\.auth: /)
    expect(run.output()).toMatch(/portz: unknown key/)
  })

  it('--help documents the commands and serve options', async () => {
    const help = start(['serve', '--help'])
    expect(await help.exited).toBe(0)
    for (const option of ['--config', '--data-dir', '--host', '--surfaces', '--control-center-port', '--control-center-host', '--storage', '--redis-url', 'PROVISIO_DATA_DIR']) {
      expect(help.output()).toContain(option)
    }
    const top = start(['--help'])
    expect(await top.exited).toBe(0)
    expect(top.output()).toMatch(/serve/)
    expect(top.output()).toMatch(/users/)
  })
})
