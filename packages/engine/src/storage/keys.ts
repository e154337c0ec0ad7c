/**
 * Encodes a value for use as one key segment. unstorage treats `:` and `/` as
 * separators and the fs driver maps segments to directories, so both must be
 * escaped, and so must dots (a `..` segment would climb out of the base).
 */
export function keySegment(value: string): string {
  return encodeURIComponent(value).replace(/\./g, '%2E').replace(/\*/g, '%2A')
}

export function decodeKeySegment(segment: string): string {
  return decodeURIComponent(segment)
}

/** The last segment of a key. */
export function lastSegment(key: string): string {
  const index = key.lastIndexOf(':')
  return index === -1 ? key : key.slice(index + 1)
}
