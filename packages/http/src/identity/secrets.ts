import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import type { Storage } from 'unstorage'
import { identityKeys } from './keys'

/** The given key, else the one kept in storage, else a new 32-byte key written there. */
export async function loadSigningKey(storage: Storage, given?: Uint8Array): Promise<Uint8Array> {
  if (given) {
    if (given.byteLength < 32) throw new RangeError('The JWT signing key must be at least 32 bytes')
    return given
  }
  const stored = await storage.getItem<string>(identityKeys.signingKey)
  if (typeof stored === 'string' && stored.length > 0) return Buffer.from(stored, 'base64url')
  const created = randomBytes(32)
  await storage.setItem(identityKeys.signingKey, created.toString('base64url'))
  return created
}

export interface SecretBox {
  seal(plain: string): string
  open(sealed: string): string
}

/**
 * AES-256-GCM under a key derived from the signing key: TOTP secrets in storage are
 * useless without it (which matters when the key lives in a 0600 file, not in storage).
 */
export function createSecretBox(signingKey: Uint8Array, purpose: string): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', signingKey, Buffer.alloc(0), `provisio:${purpose}`, 32))
  return {
    seal(plain) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return ['v1', iv, cipher.getAuthTag(), body].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.')
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.')
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('Unreadable sealed secret')
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
    },
  }
}
