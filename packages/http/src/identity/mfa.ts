import { Secret, TOTP } from 'otpauth'

const period = 30

function totpFor(secret: string, issuer: string, label: string) {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period, secret: Secret.fromBase32(secret) })
}

/** A new random 160-bit TOTP secret, base32 as authenticator apps expect it. */
export function createTotpSecret(): string {
  return new Secret({ size: 20 }).base32
}

export function totpUrl(secret: string, issuer: string, username: string): string {
  return totpFor(secret, issuer, username).toString()
}

/**
 * The time step a code belongs to, or undefined when it is wrong. One step either side
 * is accepted for clock drift; the caller refuses a step at or before the last one used,
 * so a code seen over someone's shoulder cannot be replayed.
 */
export function matchTotp(secret: string, code: unknown, now: number): number | undefined {
  if (typeof code !== 'string' || !/^\d{6}$/.test(code.trim())) return undefined
  const delta = totpFor(secret, 'provisio', 'user').validate({ token: code.trim(), timestamp: now, window: 1 })
  if (delta === null) return undefined
  return Math.floor(now / 1000 / period) + delta
}
