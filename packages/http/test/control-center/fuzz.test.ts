import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startControlCenter, type TestServer } from '../helpers'

interface Operation {
  method: string
  path: string
}

/** Any error answer of the control-center surface must be exactly `{ success: false, error: string }`. */
function isEnvelopeError(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false
  const keys = Object.keys(body).sort().join(',')
  return keys === 'error,success' && (body as any).success === false && typeof (body as any).error === 'string'
}

const segment = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('..', '%', '%ZZ', '%2F', '😀', ' ', 'null', '0', '-1', 'a'.repeat(300)))

const queryString = fc
  .array(
    fc.tuple(
      fc.constantFrom('limit', 'offset', 'role', 'enabled', 'user_id', 'from', 'to', 'action', 'resource', 'result', 'x'),
      fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String)),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&')}` : ''))

const rawBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 60 }),
  fc.constantFrom('{', '[', '{"username":', 'null', '""', '{"username": "admin", "password": {"$gt": ""}}', '\u0000'),
  fc
    .record(
      {
        username: fc.string(),
        password: fc.string(),
        mfa_code: fc.string(),
        token: fc.string(),
        refresh_token: fc.string(),
        rules: fc.jsonValue(),
        roles: fc.jsonValue(),
        email: fc.string(),
        enabled: fc.jsonValue(),
        name: fc.string(),
        code: fc.string(),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
)

describe('control-center: fuzzing every route', () => {
  let t: TestServer
  let operations: Operation[]
  let fuzzToken: string
  beforeAll(async () => {
    t = await startControlCenter()
    fuzzToken = (await t.userWithToken('fuzz-admin', ['admin'])).token
    const document = (await t.api('GET', '/openapi.json')).body
    operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
    )
  })
  afterAll(() => t.close())

  // Logging out would end the fuzzing session's token; that route is fuzzed without one.
  const tokenFor = (operation: Operation, authenticated: boolean) => (authenticated && operation.path !== '/auth/logout' ? fuzzToken : undefined)

  it('random and malformed bodies, queries and path parameters never cause a 500 and keep the error shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        segment,
        queryString,
        rawBody,
        fc.boolean(),
        fc.constantFrom('application/json', 'text/plain', undefined),
        async (index, id, query, body, authenticated, contentType) => {
          const operation = operations[index % operations.length]
          const path = operation.path.replace('{id}', encodeURIComponent(id)).replace('{file}', encodeURIComponent(id))
          const answer = await t.api(operation.method, `${path}${query}`, {
            token: tokenFor(operation, authenticated),
            rawBody: operation.method === 'GET' ? undefined : body,
            headers: contentType ? { 'content-type': contentType } : {},
          })
          expect(answer.status, `${operation.method} ${path}${query} ${body}`).toBeLessThan(500)
          if (answer.status >= 400) expect(isEnvelopeError(answer.body), JSON.stringify(answer.body)).toBe(true)
          expect(answer.headers.get('x-ratelimit-limit')).not.toBeNull()
        },
      ),
      { numRuns: 400 },
    )
  })

  it('random paths and methods answer 404/405 (or a routed answer) in the error shape, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 0, maxLength: 4 }),
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        async (segments, method) => {
          const path = `/${segments.map((part) => encodeURIComponent(part).replace(/%25/g, '%')).join('/')}`
          const response = await fetch(`${t.base}${path}`, { method, headers: { authorization: `Bearer ${fuzzToken}` } })
          expect(response.status, `${method} ${path}`).toBeLessThan(500)
          const text = await response.text()
          if (response.status >= 400) expect(isEnvelopeError(JSON.parse(text)), text).toBe(true)
        },
      ),
      { numRuns: 300 },
    )
  })
})
