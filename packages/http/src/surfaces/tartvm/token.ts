import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

export interface LocalToken {
  token: string
  file: string
  /** True when this start created the file. */
  created: boolean
}

/**
 * Reads the local API token from `file`, or creates it there on first start: 32 random bytes,
 * URL-safe, in a file only its owner can read (0600, directory 0700), as the real server does.
 */
export function openLocalToken(file: string): LocalToken {
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim()
    if (token) return { token, file, created: false }
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const token = randomBytes(32).toString('base64url')
  writeFileSync(file, `${token}\n`, { mode: 0o600 })
  // `mode` applies only when the file is new (an empty one may have been there).
  chmodSync(file, 0o600)
  return { token, file, created: true }
}

const digest = (value: string) => createHash('sha256').update(value).digest()

/** Compares in constant time: both sides are hashed first, so their lengths do not show either. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (!given) return false
  return timingSafeEqual(digest(expected), digest(given))
}
