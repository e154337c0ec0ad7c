import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { fsStorage } from '@provisio/engine'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIdentity } from '../src/identity'
import { ensureSigningKey } from '../src/runtime/signing-key'

const root = resolve(import.meta.dirname, '../../..')
const cli = join(root, 'packages/http/src/cli.ts')
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

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

function start(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, cli, ...args], { cwd: root, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)))
  return { child, output: () => output, exited }
}

async function finished(args: string[]): Promise<{ code: number | null; output: string }> {
  const run = start(args)
  const code = await run.exited
  return { code, output: run.output() }
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

const USERS = 12
const username = (n: number) => `user${String(n).padStart(2, '0')}`
const password = (n: number) => `password of ${username(n)}`
const DAMAGED_USER = 6

/** A data dir whose storage holds USERS users, as a server leaves it. */
async function dataDirWithUsers(dataDir: string): Promise<void> {
  const storage = fsStorage({ base: join(dataDir, 'data') })
  const identity = createIdentity({ storage, signingKey: ensureSigningKey(dataDir).key })
  for (let n = 0; n < USERS; n++) await identity.users.create({ username: username(n), password: password(n), roles: n === 0 ? ['admin'] : [] })
  await storage.dispose()
}

describe('provisio storage (child process)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisio-storage-cli-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('serve refuses a damaged store in one line; check reports it; salvage writes a data dir the server starts on with the users intact', async () => {
    const dataDir = join(dir, 'damaged')
    await dataDirWithUsers(dataDir)
    const segment = join(dataDir, 'data', '00000001.log')
    // One flipped byte in the middle of the log, inside one user's record.
    const bytes = readFileSync(segment)
    const at = bytes.indexOf(`"username":"${username(DAMAGED_USER)}"`)
    expect(at).toBeGreaterThan(bytes.length / 4)
    bytes[at + 3] ^= 0x20
    writeFileSync(segment, bytes)

    const serve = await finished(['serve', '--data-dir', dataDir, '--surfaces', 'control-center', '--control-center-port', '0'])
    expect(serve.code).toBe(1)
    const refusal = new RegExp(
      `The storage of ${dataDir} is damaged: ${segment} is corrupt at byte (\\d+): record of \\d+ bytes fails its CRC32 check, and an intact record follows at byte \\d+, so a crash did not cause it\\. Nothing was changed\\. ` +
        `List every damaged range with .?provisio storage check --data-dir ${dataDir}.?, and copy every readable record into a new data dir with .?provisio storage salvage --data-dir ${dataDir} --out NEWDIR`,
    )
    const [, offset] = serve.output.match(refusal) ?? ['', '']
    expect(serve.output, serve.output).toMatch(refusal)
    expect(serve.output).not.toMatch(/^\s+at /m)
    expect(serve.output).not.toMatch(/control-center\s+http/)
    expect(readFileSync(segment)).toEqual(bytes)

    const check = await finished(['storage', 'check', '--data-dir', dataDir])
    expect(check.code).toBe(1)
    expect(check.output).toMatch(/00000001\.log {2}\d+ bytes, \d+ records/)
    expect(check.output).toMatch(new RegExp(`DAMAGED at byte ${offset} \\(\\d+ bytes\\): record of \\d+ bytes fails its CRC32 check`))
    expect(check.output).toMatch(/DAMAGED: 1 damaged range; the server refuses to start on this store/)

    const out = join(dir, 'salvaged')
    const salvage = await finished(['storage', 'salvage', '--data-dir', dataDir, '--out', out])
    expect(salvage.code, salvage.output).toBe(0)
    expect(salvage.output).toMatch(new RegExp(`Salvaged \\d+ keys into ${out} \\(1 damaged range, \\d+ bytes, skipped\\)`))
    expect(readFileSync(segment)).toEqual(bytes)
    // The signing key came along, still for the owner only.
    expect(readFileSync(join(out, 'jwt-signing.key'))).toEqual(readFileSync(join(dataDir, 'jwt-signing.key')))
    expect(statSync(join(out, 'jwt-signing.key')).mode & 0o777).toBe(0o600)

    const healthy = await finished(['storage', 'check', '--data-dir', out])
    expect(healthy.code, healthy.output).toBe(0)
    expect(healthy.output).toMatch(/Healthy: the store opens as it is\./)
    expect((await finished(['storage', 'salvage', '--data-dir', dataDir, '--out', out])).output).toMatch(/already exists and is not an empty directory/)
    const inside = await finished(['storage', 'salvage', '--data-dir', dataDir, '--out', join(dataDir, 'salvaged')])
    expect(inside.code).toBe(1)
    expect(inside.output).toMatch(/salvaged is inside .*: salvage into a directory outside it/)

    const run = start(['serve', '--data-dir', out, '--surfaces', 'control-center', '--control-center-port', '0'], { PROVISIO_RATE_LIMIT_AUTH: '1000' })
    try {
      const [, url] = await waitFor(run, /control-center\s+(http:\/\/127\.0\.0\.1:\d+)/)
      expect(run.output()).not.toMatch(/No users yet/)
      const login = (n: number) =>
        fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: username(n), password: password(n) }) })
      for (let n = 0; n < USERS; n++) {
        const answer = await login(n)
        // The one user whose record held the flipped byte is the only one lost.
        expect(answer.status, username(n)).toBe(n === DAMAGED_USER ? 401 : 200)
      }
      run.child.kill('SIGTERM')
      expect(await run.exited).toBe(0)
    } finally {
      run.child.kill('SIGKILL')
    }
    // Seven CLI runs, each loading TypeScript sources through tsx.
  }, 120_000)

  it('serve refuses an empty segment file instead of starting as a new store', async () => {
    const dataDir = join(dir, 'emptied')
    await dataDirWithUsers(dataDir)
    writeFileSync(join(dataDir, 'data', '00000001.log'), '')
    const serve = await finished(['serve', '--data-dir', dataDir, '--surfaces', 'control-center', '--control-center-port', '0'])
    expect(serve.code).toBe(1)
    expect(serve.output).toMatch(/00000001\.log is corrupt at byte 0: the file is empty \(a segment starts with a 8-byte header\)\. Nothing was changed\./)
    expect(serve.output).not.toMatch(/Created the first administrator|No users yet/)
    const check = await finished(['storage', 'check', '--data-dir', dataDir])
    expect(check.code).toBe(1)
    expect(check.output).toMatch(/DAMAGED at byte 0 \(0 bytes\): the file is empty/)
  }, 60_000)
})
