const secretKey = /password|passphrase|secret|token|mfa_?code|authorization|api_?key|private_?key|credential/i
const maxDepth = 6

/** A copy of `value` in which every field whose name suggests a secret reads `[redacted]`: secrets are write-only. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > maxDepth) return '[truncated]'
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1))
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, secretKey.test(key) ? '[redacted]' : redactSecrets(item, depth + 1)]),
    )
  }
  return value
}
