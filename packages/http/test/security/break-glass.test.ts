import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Storage } from 'unstorage'
import { createAuditLog } from '../../src/audit'
import { createPolicyStore } from '../../src/policies'
import { loadServeConfig } from '../../src/config/load'
import { openIdentity } from '../../src/runtime/identity'
import { createConfiguredStorage } from '../../src/runtime/storage'
import { tsProcessArgs } from '../../../../test/helpers/ts-process'

const root = resolve(import.meta.dirname, '../../../..')
const cli = join(root, 'packages/http/src/cli.ts')

/** Runs the CLI to completion in a child process, without any PROVISIO_* variable of this one. */
function provisio(args: string[], stdin = ''): Promise<{ code: number | null; output: string }> {
  const env = { ...process.env }
  for (const key of Object.keys(env)) if (/^(PROVISIO_|VITEST|TEST$|NODE_ENV$)/.test(key)) delete env[key]
  const child = spawn(process.execPath, [...tsProcessArgs(cli), ...args], { cwd: root, env: { ...env, NO_COLOR: '1' } })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  child.stdin.end(stdin)
  return new Promise((resolveRun) => child.on('exit', (code) => resolveRun({ code, output })))
}

// Each command is a fresh Node process loading TypeScript: seconds each on a busy machine.
describe('break-glass commands (child process, fs data dir)', { timeout: 120_000 }, () => {
  let dir: string
  let dataDir: string
  let denyAllId: string
  const config = () => loadServeConfig({ flags: { dataDir }, env: {}, cwd: dir }).config

  /** Opens the data dir in this process (taking its lock), runs `work`, and closes it again. */
  async function withDataDir<T>(work: (storage: Storage) => Promise<T>): Promise<T> {
    const storage = await createConfiguredStorage(config())
    try {
      return await work(storage)
    } finally {
      await storage.dispose()
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisio-break-glass-'))
    dataDir = join(dir, 'data')
    denyAllId = await withDataDir(async (storage) => {
      const { identity } = openIdentity(storage, config())
      await identity.users.create({ username: 'admin', password: 'old admin password', roles: ['admin'] })
      const policy = await createPolicyStore({ storage }).create({ name: 'deny-all', rules: [{ effect: 'Deny', resource: '*', action: ['*'] }] })
      return policy.id
    })
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('policies list shows the lock-out policy; policies disable turns it off and is audited', async () => {
    const list = await provisio(['policies', 'list', '--data-dir', dataDir])
    expect(list.code).toBe(0)
    expect(list.output).toMatch(new RegExp(`${denyAllId}\\s+enabled\\s+deny-all`))

    const disable = await provisio(['policies', 'disable', denyAllId, '--data-dir', dataDir])
    expect(disable.code, disable.output).toBe(0)
    expect(disable.output).toMatch(/Disabled policy/)
    await withDataDir(async (storage) => {
      expect((await createPolicyStore({ storage }).get(denyAllId))?.enabled).toBe(false)
      const entries = await createAuditLog({ storage }).query({ action: 'policy.update' })
      expect(entries.items[0]).toMatchObject({ resource: `policies/${denyAllId}`, details: { via: 'provisio policies disable' } })
    })
  })

  it('policies disable of an unknown id fails with a clear message', async () => {
    const run = await provisio(['policies', 'disable', 'no-such-policy', '--data-dir', dataDir])
    expect(run.code).toBe(1)
    expect(run.output).toMatch(/No policy no-such-policy/)
  })

  it('users reset-password sets a new password from stdin, lifts a lockout and can turn MFA off', async () => {
    await withDataDir(async (storage) => {
      const { identity } = openIdentity(storage, config())
      const admin = await identity.users.getByUsername('admin')
      await identity.mfa.enroll(admin!.id)
      // Someone guessing has locked the account too.
      for (let i = 0; i < 5; i++)
        await expect(identity.login({ username: 'admin', password: 'a guess' })).rejects.toMatchObject({ code: 'invalid_credentials' })
      await expect(identity.login({ username: 'admin', password: 'old admin password' })).rejects.toMatchObject({ code: 'locked' })
    })
    const run = await provisio(['users', 'reset-password', 'admin', '--password-stdin', '--reset-mfa', '--data-dir', dataDir], 'new admin password\n')
    expect(run.code, run.output).toBe(0)
    await withDataDir(async (storage) => {
      const { identity } = openIdentity(storage, config())
      await expect(identity.login({ username: 'admin', password: 'old admin password' })).rejects.toMatchObject({ code: 'invalid_credentials' })
      const pair = await identity.login({ username: 'admin', password: 'new admin password' })
      expect(pair.user.mfaEnabled).toBe(false)
    })
  })

  it('users reset-password refuses a password below the policy with its message, not a stack trace', async () => {
    const run = await provisio(['users', 'reset-password', 'admin', '--password-stdin', '--data-dir', dataDir], 'short\n')
    expect(run.code).toBe(1)
    expect(run.output).toMatch(/at least 8 characters/)
    expect(run.output).not.toMatch(/\n\s+at /)
  })

  it('while a server holds the data dir, the commands say to stop it and change nothing', async () => {
    const storage = await createConfiguredStorage(config())
    try {
      for (const args of [
        ['policies', 'list'],
        ['policies', 'disable', denyAllId],
        ['users', 'reset-password', 'admin'],
      ]) {
        const run = await provisio([...args, '--data-dir', dataDir])
        expect(run.code, args.join(' ')).toBe(1)
        expect(run.output).toMatch(/locked by a running server \(process \d+\).*stop the server/)
        expect(run.output).not.toMatch(/\n\s+at /)
      }
    } finally {
      await storage.dispose()
    }
  })
})
