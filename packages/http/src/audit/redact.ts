const secretKey = /password|passphrase|secret|token|mfa_?code|authorization|api_?key|private_?key|credential/i
const maxDepth = 6

/** A copy of `value` in which every field whose name suggests a secret reads `[redacted]`: secrets are write-only. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > maxDepth) return '[truncated]'
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1))
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    // A loop rather than entries → map → fromEntries: every audited request passes here.
    const copy: Record<string, unknown> = {}
    for (const key of Object.keys(value)) {
      const item = secretKey.test(key) ? '[redacted]' : redactSecrets((value as Record<string, unknown>)[key], depth + 1)
      // A `__proto__` key (from JSON) stays a plain field, as `Object.fromEntries` would keep it.
      if (key === '__proto__') Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true })
      else copy[key] = item
    }
    return copy
  }
  return value
}
