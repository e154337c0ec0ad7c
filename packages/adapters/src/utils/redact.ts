/** What stands in for a hidden secret. */
export const REDACTED = '***'

/**
 * Key names whose values are secrets unless told otherwise: passwords, tokens,
 * API keys, private keys, credentials. Matched anywhere in the name, case-insensitively,
 * so `db_password`, `vaultPassword`, `X-Api-Key` and `apiToken` all count.
 * Lists that name secrets (`secrets`, `secretVars`, `secret_keys`) hold names, not secrets.
 */
export const secretKeyPattern =
  /passw(?:or)?d|passphrase|^pass$|secret(?!s$|_?vars$|_?keys$|_?inputs$)|token|api[_-]?key|private[_-]?key|credential|authorization|cookie/i

export interface RedactorOptions {
  /** Secret values hidden wherever they appear in text (empty values are ignored). */
  secrets?: Iterable<string | number | null | undefined>
  /**
   * More key names whose values are hidden in objects, and whose values found
   * by `collect` join the secrets, beside those `secretKeyPattern` matches.
   * Strings match the whole name (case-insensitively), RegExps match anywhere.
   */
  keys?: Iterable<string | RegExp>
  /** Replacement text, `***` by default. */
  mask?: string
}

export interface Redactor {
  /** Hides every known secret in a line of text. */
  text: (text: string) => string
  /** Hides secrets in an error's message, stack, cause and string properties (in place), and returns it. */
  error: <E>(error: E) => E
  /** A deep copy with values under secret keys masked and secrets hidden in every string. */
  value: <T>(value: T) => T
  /** Adds secret values learnt later (a generated password, a token read from a file). */
  add: (...secrets: Array<string | number | null | undefined>) => void
  /** Adds the values found under secret keys anywhere in `value` to the secrets. */
  collect: (value: unknown) => void
  /** Whether `key` names a secret. */
  isSecretKey: (key: string) => boolean
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The forms a secret takes once printed inside JSON or a URL. */
function encodings(secret: string): string[] {
  return [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]
}

/**
 * Creates a redactor shared by everything one job prints, throws and returns.
 *
 * ```ts
 * const redact = createRedactor({ secrets: [apiKey], keys: ['default_password'] })
 * ctx.log(redact.text(line))
 * return redact.value(result)
 * ```
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const mask = options.mask ?? REDACTED
  const secrets = new Set<string>()
  const keyNames = new Set<string>()
  const keyPatterns: RegExp[] = []
  for (const key of [secretKeyPattern, ...(options.keys ?? [])]) {
    if (typeof key === 'string') keyNames.add(key.toLowerCase())
    else keyPatterns.push(key)
  }
  // Rebuilt lazily: longest first, so a secret containing another is hidden whole.
  let matcher: RegExp | undefined

  const isSecretKey = (key: string) => keyNames.has(key.toLowerCase()) || keyPatterns.some((pattern) => pattern.test(key))

  const add: Redactor['add'] = (...values) => {
    for (const value of values) {
      if (value === null || value === undefined) continue
      const secret = String(value)
      if (secret.trim() === '') continue
      for (const form of encodings(secret)) secrets.add(form)
      matcher = undefined
    }
  }

  const text = (input: string): string => {
    if (secrets.size === 0 || typeof input !== 'string') return input
    matcher ??= new RegExp(
      [...secrets]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join('|'),
      'g',
    )
    return input.replace(matcher, mask)
  }

  const collect = (value: unknown, seen = new Set<unknown>()): void => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return
    seen.add(value)
    for (const [key, child] of Object.entries(value)) {
      if (!isSecretKey(key)) collect(child, seen)
      else if (typeof child === 'string' || typeof child === 'number') add(child)
      else if (Array.isArray(child)) add(...child.filter((item) => typeof item === 'string' || typeof item === 'number'))
      else collect(child, seen)
    }
  }

  const value = <T>(input: T, seen = new Map<unknown, unknown>()): T => {
    if (typeof input === 'string') return text(input) as T
    if (input === null || typeof input !== 'object') return input
    if (seen.has(input)) return seen.get(input) as T
    if (input instanceof Error) return error(input)
    if (input instanceof Date) return input
    if (Array.isArray(input)) {
      const copy: unknown[] = []
      seen.set(input, copy)
      for (const item of input) copy.push(value(item, seen))
      return copy as T
    }
    const copy: Record<string, unknown> = {}
    seen.set(input, copy)
    const masked = (child: unknown) => (child === null || child === undefined || typeof child === 'object' ? value(child, seen) : mask)
    for (const [key, child] of Object.entries(input)) {
      if (!isSecretKey(key)) copy[key] = value(child, seen)
      else copy[key] = Array.isArray(child) ? child.map(masked) : masked(child)
    }
    return copy as T
  }

  const error = <E>(input: E, seen = new Set<unknown>()): E => {
    if (!(input instanceof Error) || seen.has(input)) return input
    seen.add(input)
    input.message = text(input.message)
    if (input.stack) input.stack = text(input.stack)
    const fields = input as unknown as Record<string, unknown>
    for (const key of Object.keys(fields)) {
      const field = fields[key]
      if (typeof field === 'string') fields[key] = isSecretKey(key) ? mask : text(field)
      else if (Array.isArray(field) && field.every((item) => typeof item === 'string')) fields[key] = field.map(text)
    }
    if (input.cause !== undefined) input.cause = input.cause instanceof Error ? error(input.cause, seen) : value(input.cause)
    return input
  }

  add(...(options.secrets ?? []))
  return { text, error, value, add, collect: (input) => collect(input), isSecretKey }
}
