import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fsStorage } from '@provisio/engine'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIdentity } from '../src/identity'
import { ensureSigningKey } from '../src/runtime/signing-key'
import { runCli, startCli, waitForOutput } from './cli-process'

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
    const segment = join(dataDir, 'data', 'data.mdb')
    // One flipped byte inside one user's record. Each user was a transaction of its own, so the
    // file also holds older copies of the record on pages LMDB has freed: every copy is flipped.
    const bytes = readFileSync(segment)
    const record = `"username":"${username(DAMAGED_USER)}"`
    for (let at = bytes.indexOf(record); at !== -1; at = bytes.indexOf(record, at + 1)) bytes[at + 3] ^= 0x20
    expect(bytes.indexOf(record)).toBe(-1)
    writeFileSync(segment, bytes)

    const serve = await runCli(['serve', '--data-dir', dataDir, '--surfaces', 'control-center', '--control-center-port', '0'])
    expect(serve.code).toBe(1)
    const refusal = new RegExp(
      `The storage of ${dataDir} is damaged: ${segment} is corrupt at byte (\\d+): a value of \\d+ bytes fails its CRC32 check \\(key "[^"]+"\\)\\. Nothing was changed\\. ` +
        `List every damaged range with .?provisio storage check --data-dir ${dataDir}.?, and copy every readable record into a new data dir with .?provisio storage salvage --data-dir ${dataDir} --out NEWDIR`,
    )
    const [, offset] = serve.output.match(refusal) ?? ['', '']
    expect(serve.output, serve.output).toMatch(refusal)
    expect(serve.output).not.toMatch(/^\s+at /m)
    expect(serve.output).not.toMatch(/control-center\s+http/)
    expect(readFileSync(segment)).toEqual(bytes)

    const check = await runCli(['storage', 'check', '--data-dir', dataDir])
    expect(check.code).toBe(1)
    expect(check.output).toMatch(/data\.mdb {2}\d+ bytes, \d+ records/)
    expect(check.output).toMatch(new RegExp(`DAMAGED at byte ${offset} \\(\\d+ bytes\\): a value of \\d+ bytes fails its CRC32 check`))
    expect(check.output).toMatch(/DAMAGED: 1 damaged range; the server refuses to start on this store/)

    const out = join(dir, 'salvaged')
    const salvage = await runCli(['storage', 'salvage', '--data-dir', dataDir, '--out', out])
    expect(salvage.code, salvage.output).toBe(0)
    expect(salvage.output).toMatch(new RegExp(`Salvaged \\d+ keys into ${out} \\(1 damaged range, \\d+ bytes, skipped\\)`))
    expect(readFileSync(segment)).toEqual(bytes)
    // The signing key came along, still for the owner only.
    expect(readFileSync(join(out, 'jwt-signing.key'))).toEqual(readFileSync(join(dataDir, 'jwt-signing.key')))
    expect(statSync(join(out, 'jwt-signing.key')).mode & 0o777).toBe(0o600)

    const healthy = await runCli(['storage', 'check', '--data-dir', out])
    expect(healthy.code, healthy.output).toBe(0)
    expect(healthy.output).toMatch(/Healthy: the store opens as it is\./)
    expect((await runCli(['storage', 'salvage', '--data-dir', dataDir, '--out', out])).output).toMatch(/already exists and is not an empty directory/)
    const inside = await runCli(['storage', 'salvage', '--data-dir', dataDir, '--out', join(dataDir, 'salvaged')])
    expect(inside.code).toBe(1)
    expect(inside.output).toMatch(/salvaged is inside .*: salvage into a directory outside it/)

    const run = startCli(['serve', '--data-dir', out, '--surfaces', 'control-center', '--control-center-port', '0'], {
      env: { PROVISIO_RATE_LIMIT_AUTH: '1000' },
    })
    try {
      const [, url] = await waitForOutput(run, /control-center\s+(http:\/\/127\.0\.0\.1:\d+)/)
      expect(run.output()).not.toMatch(/No users yet/)
      const login = (n: number) =>
        fetch(`${url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: username(n), password: password(n) }),
        })
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

  it('serve refuses an empty data file instead of starting as a new store', async () => {
    const dataDir = join(dir, 'emptied')
    await dataDirWithUsers(dataDir)
    writeFileSync(join(dataDir, 'data', 'data.mdb'), '')
    const serve = await runCli(['serve', '--data-dir', dataDir, '--surfaces', 'control-center', '--control-center-port', '0'])
    expect(serve.code).toBe(1)
    expect(serve.output).toMatch(
      /data\.mdb is corrupt at byte 0: the file is empty \(an LMDB data file starts with two meta pages\), so LMDB would take it for a new store\. Nothing was changed\./,
    )
    expect(serve.output).not.toMatch(/Created the first administrator|No users yet/)
    const check = await runCli(['storage', 'check', '--data-dir', dataDir])
    expect(check.code).toBe(1)
    expect(check.output).toMatch(/DAMAGED at byte 0 \(0 bytes\): the file is empty/)
  }, 60_000)
})
