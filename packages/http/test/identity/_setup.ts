import { Secret, TOTP } from 'otpauth'
import { createStorage, type Storage } from 'unstorage'
import { createIdentity } from '../../src/identity'
import type { IdentityOptions } from '../../src/identity'

/** A clock the test moves by hand, so expiry and lockout need no sleeping. */
export function createClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let time = start
  return {
    now: () => time,
    advance(seconds: number) {
      time += seconds * 1000
    },
  }
}

export function setupIdentity(options: Partial<IdentityOptions> = {}) {
  const storage: Storage = options.storage ?? createStorage()
  const clock = createClock()
  const identity = createIdentity({ now: clock.now, ...options, storage })
  return { storage, clock, identity }
}

export function totpCode(secret: string, timestamp: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp })
}

/** A well-formed code that is not valid at `timestamp` (nor one step either side). */
export function wrongTotpCode(secret: string, timestamp: number): string {
  const valid = new Set([-30_000, 0, 30_000].map((offset) => totpCode(secret, timestamp + offset)))
  let code = 0
  while (valid.has(String(code).padStart(6, '0'))) code++
  return String(code).padStart(6, '0')
}
