import { readFileSync } from 'node:fs'
import { signingKeyText } from './schema'

/** The key a `signingKeyFile` holds, or what is wrong with the file (unreadable, or not a key). */
export function readSigningKeyFile(path: string): { key: Uint8Array; problem?: undefined } | { key?: undefined; problem: string } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    return { problem: `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` }
  }
  const parsed = signingKeyText.safeParse(text)
  if (!parsed.success) return { problem: `${path} must hold ${parsed.error.issues[0].message}` }
  return { key: new Uint8Array(Buffer.from(parsed.data, 'base64')) }
}
