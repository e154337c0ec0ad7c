// Patterns come from stored roles and policies and from audit queries; the cache is
// cleared when it grows so that caller-supplied patterns cannot make it grow without bound.
const compiled = new Map<string, RegExp>()
const cacheLimit = 1000

/** True when `value` matches `pattern`, where `*` stands for any run of characters (none included). */
export function matchWildcard(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value
  if (pattern === '*') return true
  let regexp = compiled.get(pattern)
  if (!regexp) {
    if (compiled.size >= cacheLimit) compiled.clear()
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')
    regexp = new RegExp(`^${source}$`, 's')
    compiled.set(pattern, regexp)
  }
  return regexp.test(value)
}
