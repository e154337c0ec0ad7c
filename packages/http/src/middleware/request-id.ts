import { randomUUID } from 'node:crypto'
import type { H3Event } from 'h3'

const acceptableId = /^[\w.:-]{1,128}$/

/** Keeps a caller's `X-Request-Id` when it is a sane token (so traces join up), otherwise mints one. */
export function resolveRequestId(event: H3Event): string {
  const incoming = event.req.headers.get('x-request-id')
  return incoming && acceptableId.test(incoming) ? incoming : randomUUID()
}
