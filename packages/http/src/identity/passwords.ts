import { hash, verify } from '@node-rs/argon2'
import { IdentityError } from './errors'

export const minPasswordLength = 8
// Long enough for any passphrase, short enough that hashing cannot be used to burn CPU.
const maxPasswordLength = 1024

export function checkPasswordPolicy(password: unknown): asserts password is string {
  if (typeof password !== 'string' || password.length < minPasswordLength) {
    throw new IdentityError('invalid', `Password must be at least ${minPasswordLength} characters`)
  }
  if (password.length > maxPasswordLength) {
    throw new IdentityError('invalid', `Password must be at most ${maxPasswordLength} characters`)
  }
}

/** An argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`); the library's defaults are OWASP's. */
export function hashPassword(password: string): Promise<string> {
  return hash(password)
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (typeof password !== 'string' || password.length > maxPasswordLength) return false
  try {
    return await verify(passwordHash, password)
  } catch {
    return false
  }
}

let decoy: Promise<string> | undefined

/** Spends the time a real check would, so a login for an unknown user cannot be told apart by its speed. */
export async function verifyDecoy(password: string): Promise<false> {
  decoy ??= hash('provisio-decoy-password')
  await verifyPassword(await decoy, String(password))
  return false
}
