let cachedMs = Number.NaN
let cachedIso = ''

/**
 * `new Date(ms).toISOString()`, remembered for the last millisecond asked:
 * formatting a date costs more than the rest of a job's timestamps, and a
 * burst of jobs stamps the same millisecond many times.
 */
export function isoTime(ms: number = Date.now()): string {
  if (ms !== cachedMs) {
    cachedMs = ms
    cachedIso = new Date(ms).toISOString()
  }
  return cachedIso
}
