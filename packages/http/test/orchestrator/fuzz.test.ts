import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOrchestrator } from '../helpers'
import { demoProvider } from './fixtures'

interface Operation {
  method: string
  path: string
}

function isEnvelopeError(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false
  return Object.keys(body).sort().join(',') === 'error,success' && (body as any).success === false && typeof (body as any).error === 'string'
}

const segment = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('..', '%', '%ZZ', '%2F', '😀', ' ', 'null', '0', '-1', 'a'.repeat(300)))

const queryString = fc
  .array(
    fc.tuple(
      fc.constantFrom('limit', 'offset', 'status', 'name', 'x'),
      fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String), fc.constantFrom('Running', 'Failed')),
    ),
    { maxLength: 3 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&')}` : ''))

const rawBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 60 }),
  fc.constantFrom('{', '[', 'null', '""', '\u0000'),
  fc
    .record(
      {
        name: fc.string(),
        infra: fc.string(),
        settings: fc.string(),
        check_mode: fc.jsonValue(),
        operation: fc.string(),
        taskserv: fc.string(),
        cluster_type: fc.string(),
        parallel_limit: fc.jsonValue(),
        operations: fc.array(
          fc.record({
            id: fc.string(),
            provider: fc.constantFrom('demo', 'nope'),
            action: fc.constantFrom('echo', 'x'),
            dependencies: fc.array(fc.string(), { maxLength: 2 }),
          }),
          { maxLength: 3 },
        ),
        checkpoint_id: fc.string(),
        operation_ids: fc.jsonValue(),
        provider: fc.string(),
        action: fc.string(),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
)

describe('orchestrator: fuzzing every route', () => {
  let test: Awaited<ReturnType<typeof startOrchestrator>>
  let operations: Operation[]
  beforeAll(async () => {
    test = await startOrchestrator({ engine: { providers: [demoProvider()] } })
    const document = (await test.orchestrator('GET', '/openapi.json')).body
    operations = Object.entries(document.paths as Record<string, Record<string, unknown>>)
      // A stream of a task that exists stays open until it ends; random ids answer 404 at once, so keep them.
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })))
  })
  afterAll(() => test.close())

  it('random and malformed bodies, queries and path parameters never cause a 500 and keep the envelope', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), segment, queryString, rawBody, fc.boolean(), async (index, id, query, body, authenticated) => {
        const operation = operations[index % operations.length]
        const path = operation.path.replace('{id}', encodeURIComponent(id))
        const answer = await test.orchestrator(operation.method, `${path}${query}`, {
          token: authenticated ? test.adminToken : undefined,
          rawBody: operation.method === 'GET' ? undefined : body,
          headers: { 'content-type': 'application/json' },
        })
        expect(answer.status, `${operation.method} ${path}${query} ${body}`).toBeLessThan(500)
        if (answer.status >= 400) expect(isEnvelopeError(answer.body), JSON.stringify(answer.body)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })
})
