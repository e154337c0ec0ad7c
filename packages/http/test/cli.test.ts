import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { root, startCli, waitForOutput, type CliRun } from './cli-process'

/** Every surface `serve` starts by default, each on a port the system picks. */
const everySurfaceOnPortZero = ['control-center', 'orchestrator', 'provisioning', 'tartvm', 'cloudlab'].flatMap((surface) => [`--${surface}-port`, '0'])

describe('provisio CLI (child process)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisio-cli-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('serve --sandbox prints the surface URL, answers /health in sandbox mode, creates a 0600 key, and stops on SIGTERM', async () => {
    const dataDir = join(dir, 'serve')
    const run = startCli(['serve', '--sandbox', '--data-dir', dataDir, ...everySurfaceOnPortZero], { env: { PROVISIO_ADMIN_PASSWORD: 'first-admin-password' } })
    try {
      const [, url] = await waitForOutput(run, /control-center\s+(http:\/\/127\.0\.0\.1:\d+)/)
      expect(run.output()).toMatch(/Sandbox mode \(--sandbox\)/)
      // The providers' lines follow the URLs.
      await waitForOutput(run, /SANDBOX MODE: vultr/)
      expect(run.output()).toMatch(/Created the first administrator "admin"/)

      const health = (await (await fetch(`${url}/health`)).json()) as any
      const { version } = JSON.parse(await readFile(join(root, 'packages/http/package.json'), 'utf8'))
      expect(health).toMatchObject({ success: true, data: { status: 'healthy', sandbox: true, version } })
      expect(((await (await fetch(`${url}/openapi.json`)).json()) as any).info.version).toBe(version)
      expect(health.data.providers.map((p: any) => `${p.name}:${p.mode}`)).toEqual(
        expect.arrayContaining(['exec:live', 'vultr:sandbox', 'upcloud:sandbox', 'tart:sandbox']),
      )

      // Every surface is served by default, 002's provisioning among them.
      const [, provisioningUrl] = await waitForOutput(run, /provisioning\s+(http:\/\/127\.0\.0\.1:\d+)/)
      expect(await (await fetch(`${provisioningUrl}/health`)).json()).toEqual({ status: 'healthy', version, uptime_seconds: expect.any(Number) })

      const key = await stat(join(dataDir, 'jwt-signing.key'))
      expect(key.mode & 0o777).toBe(0o600)

      const login = await fetch(`${url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'first-admin-password' }),
      })
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

  it('stops gracefully on a SIGTERM sent the moment it prints its first URL', async () => {
    const run = startCli(['serve', '--data-dir', join(dir, 'prompt-stop'), '--surfaces', 'control-center', '--control-center-port', '0'])
    try {
      await waitForOutput(run, /control-center\s+http:\/\/127\.0\.0\.1:\d+/)
      run.child.kill('SIGTERM')
      expect(await run.exited).toBe(0)
      expect(run.output()).toMatch(/SIGTERM: no longer accepting connections[\s\S]*Stopped/)
    } finally {
      run.child.kill('SIGKILL')
    }
  })

  it('without --sandbox, providers without credentials are unavailable and /health says how to configure them', async () => {
    const run = startCli(['serve', '--data-dir', join(dir, 'live'), '--surfaces', 'control-center', '--control-center-port', '0'])
    try {
      const [, url] = await waitForOutput(run, /control-center\s+(http:\/\/127\.0\.0\.1:\d+)/)
      await waitForOutput(run, /vultr: unavailable \(no credentials: set VULTR_API_KEY, or start the server with --sandbox/)
      expect(run.output()).not.toMatch(/SANDBOX MODE|Sandbox mode/)
      const health = (await (await fetch(`${url}/health`)).json()) as any
      expect(health.data.sandbox).toBe(false)
      const modes = Object.fromEntries(health.data.providers.map((p: any) => [p.name, p]))
      expect(modes.exec.mode).toBe('live')
      for (const name of ['vultr', 'upcloud', 'tart']) {
        expect(modes[name].mode).toBe('unavailable')
        expect(modes[name].reason).toMatch(/--sandbox/)
      }
      expect(modes.upcloud.reason).toMatch(/UPCLOUD_TOKEN/)
      run.child.kill('SIGTERM')
      expect(await run.exited).toBe(0)
    } finally {
      run.child.kill('SIGKILL')
    }
  })

  it('users add creates an administrator from stdin; the next serve logs them in and keeps the key', async () => {
    const dataDir = join(dir, 'users')
    const add = startCli(['users', 'add', 'root', '--role', 'admin', '--password-stdin', '--data-dir', dataDir], { stdin: 'from-stdin-password\n' })
    expect(await add.exited).toBe(0)
    expect(add.output()).toMatch(/Created user "root"/)
    const keyBefore = await stat(join(dataDir, 'jwt-signing.key'))

    const run = startCli(['serve', '--data-dir', dataDir, ...everySurfaceOnPortZero])
    try {
      const [, url] = await waitForOutput(run, /control-center\s+(http:\/\/127\.0\.0\.1:\d+)/)
      expect(run.output()).not.toMatch(/No users yet/)
      // The running server holds the data directory: the shell says so and where to go instead.
      const meanwhile = startCli(['users', 'add', 'late', '--data-dir', dataDir])
      expect(await meanwhile.exited).toBe(1)
      expect(meanwhile.output()).toMatch(
        /open in a running server \(process \d+\)\. Stop it and run this again, or create the user through its API \(POST \/users/,
      )
      const login = await fetch(`${url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'root', password: 'from-stdin-password' }),
      })
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
    await writeFile(
      join(cwd, 'provisio.yaml'),
      'dataDir: ./from-yaml\nports:\n  control-center: 1\nhosts:\n  control-center: 127.0.0.2\nrateLimits:\n  auth: 2\n',
    )
    const run = startCli(['serve'], {
      cwd,
      env: {
        PROVISIO_CONTROL_CENTER_PORT: '0',
        PROVISIO_ORCHESTRATOR_PORT: '0',
        PROVISIO_PROVISIONING_PORT: '0',
        PROVISIO_TARTVM_PORT: '0',
        PROVISIO_CLOUDLAB_PORT: '0',
      },
    })
    try {
      const [, url] = await waitForOutput(run, /control-center\s+(http:\/\/127\.0\.0\.2:\d+)/)
      expect(run.output()).toMatch(
        /No users yet\. Restart with PROVISIO_ADMIN_PASSWORD .*or stop the server and create the first administrator with .?npx provisio users add admin --role admin/,
      )
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
    const run = startCli(['serve'], { cwd })
    expect(await run.exited).toBe(2)
    expect(run.output()).not.toMatch(/at loadServeConfig/)
    expect(run.output()).toMatch(/storage: /)
    expect(run.output()).toMatch(/rateLimits\.auth: /)
    expect(run.output()).toMatch(/portz: unknown key/)
  })

  /** The error a failed command printed: one line, no stack trace. */
  async function failure(run: CliRun, exitCode: number): Promise<string> {
    expect(await run.exited).toBe(exitCode)
    const lines = run
      .output()
      .trim()
      .split('\n')
      .filter((line) => line.trim() !== '')
    expect(run.output()).not.toMatch(/^\s+at /m)
    expect(lines).toHaveLength(1)
    return lines[0]
  }

  it('user errors are one line and exit 1: short password, duplicate user, unknown role, a key path that is a directory, a data file with a bad header', async () => {
    const dataDir = join(dir, 'errors')
    const add = (name: string, extra: string[] = [], stdin = 'long-enough-password\n') =>
      startCli(['users', 'add', name, '--password-stdin', '--data-dir', dataDir, ...extra], { stdin })
    const keyIsDir = join(dir, 'key-dir')
    await mkdir(join(keyIsDir, 'jwt-signing.key'), { recursive: true })
    // Each run holds the data dir while it runs: one after the other there, the other dir meanwhile.
    const keyDir = failure(startCli(['users', 'add', 'ann', '--data-dir', keyIsDir]), 1)
    expect(await failure(add('ann', [], 'short\n'), 1)).toMatch(/ERROR\s+Password must be at least 8 characters$/)
    expect(await add('ann').exited).toBe(0)
    expect(await failure(add('ann'), 1)).toMatch(/ERROR\s+Username already exists$/)
    expect(await failure(add('bob', ['--role', 'wizard']), 1)).toMatch(/ERROR\s+Unknown role "wizard"$/)
    expect(await keyDir).toContain(`${join(keyIsDir, 'jwt-signing.key')} is not a file`)

    const file = join(dataDir, 'data', 'data.mdb')
    const bytes = await readFile(file)
    bytes.write('not an LMDB meta page at all', 24)
    await writeFile(file, bytes)
    const refusal = /data\.mdb is corrupt at byte 0: meta page 0 \(byte 0\) does not hold LMDB's magic number/
    expect(await failure(add('carl'), 1)).toMatch(refusal)
    expect(await failure(startCli(['serve', '--data-dir', dataDir, '--surfaces', 'control-center', '--control-center-port', '0']), 1)).toMatch(refusal)
  }, 120_000)

  it('a port in use fails in one line before anything is written; unknown flags and commands are usage errors (exit 2)', async () => {
    const taken = createServer()
    await new Promise<void>((listening) => taken.listen(0, '127.0.0.1', listening))
    const port = (taken.address() as { port: number }).port
    try {
      const dataDir = join(dir, 'port-taken')
      const run = startCli(['serve', '--data-dir', dataDir, '--surfaces', 'control-center', '--control-center-port', String(port)])
      expect(await failure(run, 1)).toMatch(
        new RegExp(
          `port ${port} on 127\\.0\\.0\\.1 \\(control-center\\) is already in use: stop what listens there or choose another with --control-center-port$`,
        ),
      )
      await expect(stat(dataDir)).rejects.toThrow(/ENOENT/)
    } finally {
      taken.close()
    }
    const [flag, nestedFlag, positional, command] = await Promise.all([
      failure(startCli(['serve', '--prot', '9080']), 2),
      failure(startCli(['users', 'add', 'x', '--rol', 'admin']), 2),
      failure(startCli(['users', 'add']), 2),
      failure(startCli(['frob']), 2),
    ])
    expect(flag).toMatch(/Unknown option --prot for .?provisio serve.?; see .?provisio serve --help/)
    expect(nestedFlag).toMatch(/Unknown option --rol for .?provisio users add/)
    expect(positional).toMatch(/Missing required positional argument: NAME/)
    expect(command).toMatch(/Unknown command "frob"/)
  }, 120_000)

  it('--help documents the commands and serve options', async () => {
    const [help, top, nested, version] = [startCli(['serve', '--help']), startCli(['--help']), startCli(['users', 'add', '--help']), startCli(['--version'])]
    expect(await help.exited).toBe(0)
    for (const option of [
      '--config',
      '--data-dir',
      '--host',
      '--surfaces',
      '--control-center-port',
      '--control-center-host',
      '--storage',
      '--redis-url',
      'PROVISIO_DATA_DIR',
    ]) {
      expect(help.output()).toContain(option)
    }
    expect(help.output()).toContain('--sandbox')
    expect(await top.exited).toBe(0)
    expect(top.output()).toMatch(/serve/)
    expect(top.output()).toMatch(/users/)
    expect(await nested.exited).toBe(0)
    expect(nested.output()).toMatch(/USAGE provisio users add \[OPTIONS\] <NAME>/)
    expect(await version.exited).toBe(0)
    expect(version.output().trim()).toBe(JSON.parse(await readFile(join(root, 'packages/http/package.json'), 'utf8')).version)
  }, 120_000)
})
