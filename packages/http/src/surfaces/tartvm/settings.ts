import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * The GitHub token the real page asks for (to list cirruslabs images), kept in a 0600 file
 * beside the local token, as the real server keeps it.
 */
export class GithubTokenStore {
  constructor(private readonly file: string) {}

  get(): string | undefined {
    if (!existsSync(this.file)) return undefined
    return readFileSync(this.file, 'utf8').trim() || undefined
  }

  set(token: string | undefined): void {
    if (!token) {
      rmSync(this.file, { force: true })
      return
    }
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 })
    writeFileSync(this.file, token, { mode: 0o600 })
  }

  /** What the page shows: whether one is set, and its first and last four characters. */
  status(): { configured: boolean; masked_token: string | null } {
    const token = this.get()
    return { configured: Boolean(token), masked_token: token && token.length > 8 ? `${token.slice(0, 4)}...${token.slice(-4)}` : null }
  }
}
