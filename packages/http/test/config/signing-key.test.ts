import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createSecretKey, randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jwtVerify } from 'jose'
import { createStorage } from 'unstorage'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadServeConfig } from '../../src/config/load'
import { signingKeyFile } from '../../src/runtime/signing-key'
import { openIdentity } from '../../src/runtime/identity'

describe('config: a signing key given by configuration', () => {
  let dir: string
  const key = randomBytes(32).toString('base64')
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisio-signing-key-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  const problemOf = (attempt: () => unknown) => {
    try {
      attempt()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      return (error as Error).message
    }
    throw new Error('the configuration was accepted')
  }

  it('takes the key from PROVISIO_SIGNING_KEY, and a key file from the flag (relative to the working directory)', async () => {
    expect(loadServeConfig({ env: { PROVISIO_SIGNING_KEY: key }, cwd: dir }).config.signingKey).toBe(key)
    await writeFile(join(dir, 'jwt.key'), `${key}\n`)
    expect(loadServeConfig({ env: {}, cwd: dir, flags: { signingKeyFile: 'jwt.key' } }).config.signingKeyFile).toBe(join(dir, 'jwt.key'))
  })

  it('refuses a short or malformed key, a missing or bad file, and both at once, naming the key and its source but never the value', async () => {
    const short = randomBytes(16).toString('base64')
    const shortProblem = problemOf(() => loadServeConfig({ env: { PROVISIO_SIGNING_KEY: short }, cwd: dir }))
    expect(shortProblem).toMatch(/signingKey: at least 32 bytes .*\(from environment variable PROVISIO_SIGNING_KEY\)/)
    expect(shortProblem).not.toContain(short)
    expect(problemOf(() => loadServeConfig({ env: { PROVISIO_SIGNING_KEY: 'not a key!' }, cwd: dir }))).toMatch(/signingKey: base64/)
    expect(problemOf(() => loadServeConfig({ env: {}, cwd: dir, flags: { signingKeyFile: 'absent.key' } }))).toMatch(
      /signingKeyFile: .*absent\.key cannot be read \(ENOENT\) \(from command line\)/,
    )
    await writeFile(join(dir, 'short.key'), short)
    expect(problemOf(() => loadServeConfig({ env: { PROVISIO_SIGNING_KEY_FILE: 'short.key' }, cwd: dir }))).toMatch(
      /signingKeyFile: .*short\.key must hold at least 32 bytes .*\(from environment variable PROVISIO_SIGNING_KEY_FILE\)/,
    )
    await writeFile(join(dir, 'jwt.key'), key)
    expect(problemOf(() => loadServeConfig({ env: { PROVISIO_SIGNING_KEY: key, PROVISIO_SIGNING_KEY_FILE: 'jwt.key' }, cwd: dir }))).toMatch(
      /signingKey: give the key or a file holding it/,
    )
  })

  it('signs with the configured key, neither creating one in the data directory nor keeping one in storage', async () => {
    await writeFile(join(dir, 'jwt.key'), key)
    const dataDir = join(dir, 'node')
    const storage = createStorage()
    const { config } = loadServeConfig({ env: { PROVISIO_STORAGE: 'memory', PROVISIO_DATA_DIR: dataDir }, cwd: dir, flags: { signingKeyFile: 'jwt.key' } })
    const { identity, keyPath, keyCreated } = openIdentity(storage, config)
    expect([keyPath, keyCreated]).toEqual([join(dir, 'jwt.key'), false])
    await identity.bootstrapAdmin({ username: 'admin', password: 'correct horse battery' })
    const { accessToken } = await identity.login({ username: 'admin', password: 'correct horse battery' })
    // Any node given the same key verifies the token: the key alone checks its signature.
    const { payload } = await jwtVerify(accessToken, createSecretKey(Buffer.from(key, 'base64')))
    const principal = await identity.verify(accessToken)
    expect([payload.sub, principal.username]).toEqual([principal.userId, 'admin'])
    expect(existsSync(join(dataDir, signingKeyFile))).toBe(false)
    expect(await storage.getKeys('identity:secrets')).toEqual([])
  })
})
