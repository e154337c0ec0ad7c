import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadServeConfig } from '../../src/config/load'

describe('config: loadServeConfig', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisio-config-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('uses the documented defaults with no file, variables or flags', () => {
    const { config, file } = loadServeConfig({ env: {}, cwd: dir })
    expect(file).toBeUndefined()
    expect(config).toMatchObject({ host: '127.0.0.1', dataDir: '.provisio', storage: 'fs', ports: {}, rateLimits: {}, shutdownGraceMs: 10_000 })
    expect(config.surfaces).toBeUndefined()
  })

  it('reads ./provisio.yaml, then PROVISIO_* variables over it, then flags over both', async () => {
    await writeFile(
      join(dir, 'provisio.yaml'),
      'host: 0.0.0.0\ndataDir: /srv/provisio\nports:\n  control-center: 9999\nhosts:\n  control-center: 192.168.1.5\nrateLimits:\n  auth: 7\n  general: 70\ncors:\n  origins: [https://a.example]\n',
    )
    const env = {
      PROVISIO_DATA_DIR: '/var/lib/provisio',
      PROVISIO_RATE_LIMIT_GENERAL: '200',
      PROVISIO_RATE_LIMIT_BATCH: '20',
      PROVISIO_SURFACES: 'control-center',
      PROVISIO_CONTROL_CENTER_HOST: '127.0.0.2',
    }
    const { config, file } = loadServeConfig({ env, cwd: dir, flags: { host: '10.0.0.1', 'ports.control-center': '9081' } })
    expect(file).toBe(join(dir, 'provisio.yaml'))
    expect(config).toMatchObject({
      host: '10.0.0.1',
      dataDir: '/var/lib/provisio',
      surfaces: ['control-center'],
      ports: { 'control-center': 9081 },
      hosts: { 'control-center': '127.0.0.2' },
      rateLimits: { auth: 7, general: 200, batch: 20 },
      cors: { origins: ['https://a.example'] },
    })
    await rm(join(dir, 'provisio.yaml'))
  })

  it('names the key and its source in errors', async () => {
    const path = join(dir, 'bad.yaml')
    await writeFile(path, 'storage: redis\nsurfaces: [control-center, nowhere]\n')
    const attempt = () => loadServeConfig({ configPath: path, env: { PROVISIO_CONTROL_CENTER_PORT: 'eighty' }, cwd: dir })
    expect(attempt).toThrow(ConfigError)
    const message = (() => {
      try {
        attempt()
      } catch (error) {
        return (error as Error).message
      }
    })()
    expect(message).toMatch(/surfaces\.1: .*\(from .*bad\.yaml\)/)
    expect(message).toMatch(/ports\.control-center: .*\(from environment variable PROVISIO_CONTROL_CENTER_PORT\)/)
    expect(() => loadServeConfig({ env: { PROVISIO_STORAGE: 'redis' }, cwd: dir })).toThrow(/redisUrl: required when storage is "redis"/)
  })

  it('reads sandbox from the file, PROVISIO_SANDBOX and --sandbox; off by default', async () => {
    expect(loadServeConfig({ env: {}, cwd: dir }).config.sandbox).toBe(false)
    expect(loadServeConfig({ env: { PROVISIO_SANDBOX: 'true' }, cwd: dir }).config.sandbox).toBe(true)
    expect(loadServeConfig({ env: { PROVISIO_SANDBOX: '0' }, cwd: dir, flags: { sandbox: true } }).config.sandbox).toBe(true)
    const path = join(dir, 'sandbox.yaml')
    await writeFile(path, 'sandbox: true\n')
    expect(loadServeConfig({ configPath: path, env: {}, cwd: dir }).config.sandbox).toBe(true)
    expect(loadServeConfig({ configPath: path, env: { PROVISIO_SANDBOX: 'false' }, cwd: dir }).config.sandbox).toBe(false)
    expect(() => loadServeConfig({ env: { PROVISIO_SANDBOX: 'maybe' }, cwd: dir })).toThrow(/sandbox: .*\(from environment variable PROVISIO_SANDBOX\)/)
  })

  it('refuses a --config file that does not exist', () => {
    expect(() => loadServeConfig({ configPath: 'missing.yaml', env: {}, cwd: dir })).toThrow(/does not exist/)
  })
})
