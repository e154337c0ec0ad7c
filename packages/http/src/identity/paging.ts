const defaultLimit = 50
const maxLimit = 1000

/** 004's pagination: `limit` default 50, at most 1000; `offset` from 0. Bad numbers fall back to the defaults. */
export function pageOf(query: { limit?: number; offset?: number } | undefined): { limit: number; offset: number } {
  const limit = Math.min(maxLimit, Math.max(1, Math.floor(Number(query?.limit ?? defaultLimit)) || defaultLimit))
  const offset = Math.max(0, Math.floor(Number(query?.offset ?? 0)) || 0)
  return { limit, offset }
}
