import { z } from 'zod'
import { defaultPageSize, maxPageSize } from '../../middleware/pagination'

/** Digits only: `?page=1e3` or `?page=0x2` is refused rather than read the way `Number()` would. */
const whole = (min: number, max: number, fallback: number) =>
  z.preprocess((value) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value), z.number().int().min(min).max(max).default(fallback))

/** 002's sketch: `?page=1&per_page=20`. */
export const pageQuery = z.object({
  page: whole(1, 1_000_000, 1).describe('Page number, from 1'),
  per_page: whole(1, maxPageSize, defaultPageSize).describe(`Items per page (1-${maxPageSize})`),
})

export type PageQuery = z.output<typeof pageQuery>

function link(url: URL, page: number, perPage: number, rel: string): string {
  const params = new URLSearchParams(url.searchParams)
  params.set('page', String(page))
  params.set('per_page', String(perPage))
  return `<${url.pathname}?${params}>; rel="${rel}"`
}

/**
 * One page of `items`, with `X-Total-Count`, `X-Page`, `X-Per-Page` and a `Link` header
 * (`first`, `prev`, `next`, `last`) keeping the request's filters.
 */
export function paged<T>(items: T[], query: PageQuery, headers: Headers, url: URL): T[] {
  const { page, per_page: perPage } = query
  const last = Math.max(1, Math.ceil(items.length / perPage))
  headers.set('X-Total-Count', String(items.length))
  headers.set('X-Page', String(page))
  headers.set('X-Per-Page', String(perPage))
  const links = [link(url, 1, perPage, 'first')]
  if (page > 1) links.push(link(url, Math.min(page - 1, last), perPage, 'prev'))
  if (page < last) links.push(link(url, page + 1, perPage, 'next'))
  links.push(link(url, last, perPage, 'last'))
  headers.set('Link', links.join(', '))
  return items.slice((page - 1) * perPage, page * perPage)
}
