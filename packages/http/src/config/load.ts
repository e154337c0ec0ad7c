import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { surfaceNames } from '../surfaces'
import { ConfigError } from './errors'
import { serveConfigSchema, type ServeConfig } from './schema'
import { readSigningKeyFile } from './signing-key'

export { ConfigError } from './errors'

type Layer = Record<string, unknown>

/** Values given on the command line, already named as config keys (`ports.control-center`). */
export type FlagValues = Record<string, unknown>

const envKeys: Record<string, string> = {
  PROVISIO_HOST: 'host',
  PROVISIO_DATA_DIR: 'dataDir',
  PROVISIO_SURFACES: 'surfaces',
  PROVISIO_STORAGE: 'storage',
  PROVISIO_SANDBOX: 'sandbox',
  PROVISIO_REDIS_URL: 'redisUrl',
  PROVISIO_SIGNING_KEY: 'signingKey',
  PROVISIO_SIGNING_KEY_FILE: 'signingKeyFile',
  PROVISIO_NODE_ID: 'cluster.nodeId',
  PROVISIO_HEARTBEAT_MS: 'cluster.heartbeatMs',
  PROVISIO_WEBHOOKS_PENDING_SWEEP_MS: 'webhooks.pendingSweepMs',
  PROVISIO_RATE_LIMIT_AUTH: 'rateLimits.auth',
  PROVISIO_RATE_LIMIT_GENERAL: 'rateLimits.general',
  PROVISIO_RATE_LIMIT_BATCH: 'rateLimits.batch',
  PROVISIO_CORS_ORIGINS: 'cors.origins',
  PROVISIO_TRUST_PROXY: 'trustProxy',
  PROVISIO_SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
  PROVISIO_ACCESS_TOKEN_TTL: 'accessTokenTtlSeconds',
  PROVISIO_REFRESH_TOKEN_TTL: 'refreshTokenTtlSeconds',
  PROVISIO_TARTVM_TOKEN_FILE: 'tartvm.tokenFile',
  PROVISIO_TARTVM_UI: 'tartvm.ui',
  PROVISIO_CLOUDLAB_SERVICES_DIR: 'cloudlab.servicesDir',
  PROVISIO_CLOUDLAB_INVENTORY_TYPES_DIR: 'cloudlab.inventoryTypesDir',
  PROVISIO_CLOUDLAB_UI: 'cloudlab.ui',
  PROVISIO_CLOUDLAB_PUBLIC_URL: 'cloudlab.publicUrl',
  PROVISIO_CLOUDLAB_SMTP_HOST: 'cloudlab.smtp.host',
  PROVISIO_CLOUDLAB_SMTP_PORT: 'cloudlab.smtp.port',
  PROVISIO_CLOUDLAB_SMTP_SECURE: 'cloudlab.smtp.secure',
  PROVISIO_CLOUDLAB_SMTP_USER: 'cloudlab.smtp.user',
  PROVISIO_CLOUDLAB_SMTP_PASSWORD: 'cloudlab.smtp.password',
  PROVISIO_CLOUDLAB_SMTP_FROM: 'cloudlab.smtp.from',
  ...Object.fromEntries(surfaceNames.map((name) => [`PROVISIO_${name.toUpperCase().replaceAll('-', '_')}_PORT`, `ports.${name}`])),
  ...Object.fromEntries(surfaceNames.map((name) => [`PROVISIO_${name.toUpperCase().replaceAll('-', '_')}_HOST`, `hosts.${name}`])),
}

const listKeys = new Set(['surfaces', 'cors.origins'])
const booleanKeys = new Set(['sandbox', 'cloudlab.smtp.secure'])
const booleanWords: Record<string, boolean> = { true: true, '1': true, yes: true, false: false, '0': false, no: false }
const numberKeys =
  /^(ports\.|rateLimits\.|shutdownGraceMs$|accessTokenTtlSeconds$|refreshTokenTtlSeconds$|cloudlab\.smtp\.port$|cluster\.heartbeatMs$|webhooks\.pendingSweepMs$)/

/** Environment and flags give strings; numbers and lists are read as such so the schema sees typed values. */
function typed(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value
  // A hop count or a list of proxy ranges.
  if (key === 'trustProxy')
    return /^\s*\d+\s*$/.test(value)
      ? Number(value)
      : value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)
  if (listKeys.has(key))
    return value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
  if (booleanKeys.has(key)) return booleanWords[value.trim().toLowerCase()] ?? value
  if (numberKeys.test(key) && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value)
  return value
}

function setPath(target: Layer, key: string, value: unknown): void {
  const [head, ...rest] = key.split('.')
  if (rest.length === 0) {
    target[head] = value
    return
  }
  const child = (typeof target[head] === 'object' && target[head] !== null ? target[head] : {}) as Layer
  target[head] = child
  setPath(child, rest.join('.'), value)
}

function flatten(layer: Layer, prefix = ''): [string, unknown][] {
  return Object.entries(layer).flatMap(([key, value]) =>
    value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0
      ? flatten(value as Layer, `${prefix}${key}.`)
      : [[`${prefix}${key}`, value] as [string, unknown]],
  )
}

export interface LoadConfigOptions {
  /** `--config`; otherwise `PROVISIO_CONFIG`, otherwise `./provisio.yaml` when present. */
  configPath?: string
  flags?: FlagValues
  env?: NodeJS.ProcessEnv
  cwd?: string
}

export interface LoadedConfig {
  config: ServeConfig
  /** The YAML file read, if any. */
  file?: string
}

/** Merges defaults < YAML file < `PROVISIO_*` variables < flags, and validates the result. */
export function loadServeConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const merged: Layer = {}
  const sources = new Map<string, string>()

  const explicit = options.configPath ?? env.PROVISIO_CONFIG
  const file = explicit ? resolve(cwd, explicit) : existsSync(resolve(cwd, 'provisio.yaml')) ? resolve(cwd, 'provisio.yaml') : undefined
  if (file) {
    if (!existsSync(file)) throw new ConfigError(`Configuration file ${file} does not exist`)
    let parsed: unknown
    try {
      parsed = parseYaml(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new ConfigError(`Configuration file ${file} is not valid YAML: ${(error as Error).message}`)
    }
    if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new ConfigError(`Configuration file ${file} must hold a mapping of keys`)
    }
    for (const [key, value] of flatten((parsed ?? {}) as Layer)) {
      setPath(merged, key, value)
      sources.set(key, file)
    }
  }
  for (const [variable, key] of Object.entries(envKeys)) {
    const value = env[variable]
    if (value === undefined || value === '') continue
    setPath(merged, key, typed(key, value))
    sources.set(key, `environment variable ${variable}`)
  }
  for (const [key, value] of Object.entries(options.flags ?? {})) {
    if (value === undefined) continue
    setPath(merged, key, typed(key, value))
    sources.set(key, 'command line')
  }

  const result = serveConfigSchema.safeParse(merged)
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.map(String)
      const key = issue.code === 'unrecognized_keys' ? [...path, ...issue.keys].join('.') : path.join('.')
      const source = sources.get(key) ?? [...sources.keys()].map((k) => (key.startsWith(k) || k.startsWith(key) ? sources.get(k) : undefined)).find(Boolean)
      return `  ${key || '(root)'}: ${issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message}${source ? ` (from ${source})` : ''}`
    })
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`)
  }
  const config = result.data
  if (config.signingKeyFile !== undefined) {
    config.signingKeyFile = resolve(cwd, config.signingKeyFile)
    const problem = readSigningKeyFile(config.signingKeyFile).problem
    if (problem) throw new ConfigError(`Invalid configuration:\n  signingKeyFile: ${problem} (from ${sources.get('signingKeyFile')})`)
  }
  return { config, file }
}

/** For commands: a configuration problem is printed without a stack trace and ends the process. */
export function loadServeConfigOrExit(options: LoadConfigOptions, report: (message: string) => void): LoadedConfig {
  try {
    return loadServeConfig(options)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    report(error.message)
    process.exit(2)
  }
}
