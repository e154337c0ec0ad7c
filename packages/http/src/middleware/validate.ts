import type { H3Event } from 'h3'
import type { z } from 'zod'
import { ApiError, type ValidationIssue } from '../platform/errors'
import type { ResponseStyle } from '../platform/error-styles'

export type InputSource = 'params' | 'query' | 'body'

/** Bodies above this are refused with 413; the control APIs never need more. */
export const maxBodyBytes = 1024 * 1024

/**
 * A refused body is still read (and dropped) up to this size, so the client gets its 413 on a
 * connection that stays usable. Beyond it the connection is closed instead of read further.
 */
const drainBytes = 8 * 1024 * 1024

function tooLarge(close: boolean): ApiError {
  return new ApiError(413, `Request body exceeds ${maxBodyBytes} bytes`, { headers: close ? { Connection: 'close' } : {} })
}

async function readBodyText(event: H3Event): Promise<string> {
  const length = event.req.headers.get('content-length')
  if (length !== null) {
    // A declared length bounds what Node lets through: read it at once (the web stream costs a third of a small request).
    const declared = Number(length)
    if (declared > drainBytes) throw tooLarge(true)
    const text = await event.req.text()
    if (declared > maxBodyBytes) throw tooLarge(false)
    return text
  }
  const body = event.req.body
  if (!body) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength
    if (size > drainBytes) throw tooLarge(true)
    if (size <= maxBodyBytes) chunks.push(chunk)
  }
  if (size > maxBodyBytes) throw tooLarge(false)
  return Buffer.concat(chunks).toString('utf8')
}

/** `application/json` and `application/<anything>+json`, with or without parameters. */
const jsonType = /^application\/([\w.-]+\+)?json\s*(;|$)/i

/**
 * Parses a JSON body; `undefined` when empty. Malformed JSON is a 400 in every style, over 1 MiB a
 * 413, and a body not declared as JSON a 415: a browser sends `text/plain` or form bodies to any
 * origin without asking first (no CORS preflight), so accepting them would let another site's page
 * post a login or a change with the visitor's network position.
 */
export async function readJsonBody(event: H3Event): Promise<unknown> {
  const text = await readBodyText(event)
  if (text.trim() === '') return undefined
  const type = event.req.headers.get('content-type') ?? ''
  if (!jsonType.test(type)) {
    throw new ApiError(415, `Send the body as JSON with Content-Type: application/json${type ? ` (got ${type.slice(0, 100)})` : ''}`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new ApiError(400, 'Malformed JSON in request body', {
      issues: [{ loc: ['body'], msg: 'Malformed JSON', type: 'json_invalid' }],
    })
  }
}

/** Query strings as a plain object; a repeated key keeps its last value. */
export function readQuery(event: H3Event): Record<string, string> {
  // Most requests carry no query string: skip parsing one.
  return event.url.search === '' ? {} : Object.fromEntries(event.url.searchParams)
}

/**
 * Validates one part of the request against its zod schema; failures become an `ApiError` with the
 * style's status for that part and FastAPI-like issue locations (`['body', 'roles', 0]`).
 */
export function validateInput<S extends z.ZodType>(schema: S, input: unknown, source: InputSource, style: ResponseStyle): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issues: ValidationIssue[] = result.error.issues.map((issue) => ({
    loc: [source, ...issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment))],
    msg: issue.message,
    type: issue.code,
  }))
  const summary = issues
    .slice(0, 5)
    .map((issue) => `${issue.loc.join('.')}: ${issue.msg}`)
    .join('; ')
  throw new ApiError(style.validationStatus[source], `Validation failed: ${summary}`, { code: 'validation_failed', issues })
}
