/**
 * Encodes a value for use as one key segment. unstorage treats `:` and `/` as
 * separators, so both must be escaped, and so must dots: unstorage rejects `.`
 * and `..` segments, which drivers over files would follow out of their base.
 */
export function keySegment(value: string): string {
  // Most segments (provider names, ids) need no escaping: skip the three string copies.
  if (plainSegment.test(value)) return value
  // Label segments (`workflow=<id>`) repeat across a burst of jobs: encode each once.
  let encoded = encodedSegments.get(value)
  if (encoded === undefined) {
    encoded = encodeURIComponent(value).replace(/\./g, '%2E').replace(/\*/g, '%2A')
    if (encodedSegments.size >= MAX_REMEMBERED_SEGMENTS) encodedSegments.clear()
    encodedSegments.set(value, encoded)
  }
  return encoded
}

const plainSegment = /^[\w-]+$/
const MAX_REMEMBERED_SEGMENTS = 1024
const encodedSegments = new Map<string, string>()

export function decodeKeySegment(segment: string): string {
  return decodeURIComponent(segment)
}

/** The last segment of a key. */
export function lastSegment(key: string): string {
  const index = key.lastIndexOf(':')
  return index === -1 ? key : key.slice(index + 1)
}
