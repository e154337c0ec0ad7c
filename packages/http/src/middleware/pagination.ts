import { z } from 'zod'

export const defaultPageSize = 50
export const maxPageSize = 1000

/**
 * Query values written in decimal digits become numbers; anything else is left for the number
 * schema to refuse. `z.coerce.number` would take whatever `Number()` does: `0x10`, `1e3`, ` 7 `.
 */
const decimalDigits = (value: unknown) => (typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value)

/** `limit` (default 50, at most 1000) and `offset` query parameters, as 004's "Pagination" describes. */
export const paginationQuery = z.object({
  limit: z.preprocess(decimalDigits, z.number().int().min(1).max(maxPageSize).default(defaultPageSize)).describe('Maximum number of items (1-1000)'),
  offset: z.preprocess(decimalDigits, z.number().int().min(0).default(0)).describe('Number of items to skip'),
})

export interface PageWindow {
  limit: number
  offset: number
  total: number
}

/**
 * Writes `X-Total-Count`, `X-Limit`, `X-Offset` and a `Link` header with `next`/`prev` relations
 * that keep the request's other query parameters.
 */
export function setPaginationHeaders(headers: Headers, url: URL, page: PageWindow): void {
  headers.set('X-Total-Count', String(page.total))
  headers.set('X-Limit', String(page.limit))
  headers.set('X-Offset', String(page.offset))
  const hasNext = page.offset + page.limit < page.total
  const hasPrev = page.offset > 0
  // Most answers hold the whole list: no links to build.
  if (!hasNext && !hasPrev) return
  const links: string[] = []
  if (hasNext) links.push(pageLink(url, page.offset + page.limit, page.limit, 'next'))
  if (hasPrev) links.push(pageLink(url, Math.max(0, page.offset - page.limit), page.limit, 'prev'))
  headers.set('Link', links.join(', '))
}

function pageLink(url: URL, offset: number, limit: number, rel: string): string {
  const params = new URLSearchParams(url.searchParams)
  params.set('offset', String(offset))
  params.set('limit', String(limit))
  return `<${url.pathname}?${params}>; rel="${rel}"`
}

/**
 * A list route's answer: the page's items as `view` shows them, with the pagination headers of
 * the request's window (`limit`, `offset`) over the page's `total`.
 */
export function pageAnswer<Item, View>(
  page: { items: Item[]; total: number },
  query: { limit: number; offset: number },
  { headers, event }: { headers: Headers; event: { url: URL } },
  view: (item: Item) => View,
): View[] {
  setPaginationHeaders(headers, event.url, { total: page.total, limit: query.limit, offset: query.offset })
  return page.items.map(view)
}
