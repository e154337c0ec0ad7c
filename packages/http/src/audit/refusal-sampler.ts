/**
 * Keeps anonymous noise out of the audit log: of a burst of alike refusals (401, 429 from one
 * client), only the first of each window is written; the next one written reports how many were
 * left out in between (`details.suppressed`). Bounded in memory: past `maxKeys` clients, the
 * oldest window is forgotten (its count with it).
 */
export interface RefusalSampler {
  /** Whether to write this refusal, and how many alike ones were left out since the last written. */
  admit(key: string): { record: boolean; suppressed: number }
}

export interface RefusalSamplerOptions {
  /** Default 60 000 ms. */
  windowMs?: number
  /** Default 10 000. */
  maxKeys?: number
  now?: () => number
}

export function createRefusalSampler(options: RefusalSamplerOptions = {}): RefusalSampler {
  const windowMs = options.windowMs ?? 60_000
  const maxKeys = options.maxKeys ?? 10_000
  const now = options.now ?? Date.now
  const windows = new Map<string, { start: number; suppressed: number }>()

  return {
    admit(key) {
      const time = now()
      const current = windows.get(key)
      if (current && time - current.start < windowMs) {
        current.suppressed++
        return { record: false, suppressed: 0 }
      }
      // Re-inserted so that the map's order is the windows' start order: the first key is the oldest.
      windows.delete(key)
      if (windows.size >= maxKeys) windows.delete(windows.keys().next().value!)
      windows.set(key, { start: time, suppressed: 0 })
      return { record: true, suppressed: current?.suppressed ?? 0 }
    },
  }
}
