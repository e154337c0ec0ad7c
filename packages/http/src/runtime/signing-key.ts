import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '../config/errors'
import type { ServeConfig } from '../config/schema'
import { readSigningKeyFile } from '../config/signing-key'

export const signingKeyFile = 'jwt-signing.key'

/**
 * Reads the JWT signing key of a data dir, creating it (32 random bytes, mode 0600) on first start.
 * `wx` makes two processes starting at once agree on one key instead of overwriting each other.
 */
export function ensureSigningKey(dataDir: string): { key: Uint8Array; path: string; created: boolean } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const path = join(dataDir, signingKeyFile)
  let created = false
  try {
    writeFileSync(path, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' })
    created = true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const stat = statSync(path)
  if (!stat.isFile()) throw new Error(`[provisio] [http] ${path} is not a file: remove it (a new key is created on start) or choose another data directory`)
  // A key readable by others would let them mint tokens: tighten it if someone loosened it.
  if ((stat.mode & 0o077) !== 0) chmodSync(path, 0o600)
  const encoded = readFileSync(path, 'utf8').trim()
  const key = Buffer.from(encoded, 'base64url')
  if (key.length < 32) throw new Error(`[provisio] [http] ${path} holds a key shorter than 32 bytes; delete it to create a new one`)
  return { key: new Uint8Array(key), path, created }
}

/**
 * The key given by configuration: `signingKey` itself, or the content of `signingKeyFile` (both
 * checked when the configuration is loaded; the file again here, as it is read now). Undefined
 * when neither is set.
 */
export function configuredSigningKey(
  config: Pick<ServeConfig, 'signingKey' | 'signingKeyFile'>,
): { key: Uint8Array; path?: string; created: false } | undefined {
  if (config.signingKey !== undefined) return { key: new Uint8Array(Buffer.from(config.signingKey, 'base64')), created: false }
  if (config.signingKeyFile === undefined) return undefined
  const read = readSigningKeyFile(config.signingKeyFile)
  if (read.problem !== undefined) throw new ConfigError(`Invalid configuration:\n  signingKeyFile: ${read.problem}`)
  return { key: read.key, path: config.signingKeyFile, created: false }
}
