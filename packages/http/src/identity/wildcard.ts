/**
 * Longest pattern accepted from a caller (audit queries, policy rules). The matcher is linear in
 * the value for a given pattern, so the cap bounds the work of one match at pattern × value.
 */
export const maxWildcardPatternLength = 200

/**
 * True when `value` matches `pattern`, where `*` stands for any run of characters (none included).
 *
 * A two-pointer scan instead of a regular expression: on a mismatch it only moves the last `*` on
 * by one character, never revisiting earlier stars, so a pattern such as `*a*a*a*b` against a long
 * run of `a` costs pattern × value steps instead of growing with the power of the star count.
 */
export function matchWildcard(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value
  if (pattern === '*') return true
  let p = 0
  let v = 0
  // Where the last `*` was seen, and the value position it is currently made to cover up to.
  let star = -1
  let starValue = 0
  while (v < value.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++
      starValue = v
    } else if (p < pattern.length && pattern[p] === value[v]) {
      p++
      v++
    } else if (star >= 0) {
      p = star + 1
      v = ++starValue
    } else {
      return false
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++
  return p === pattern.length
}
