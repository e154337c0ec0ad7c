import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startControlCenter, type TestServer } from '../helpers'

/** `/users/:id` as OpenAPI writes it. */
const asOpenApi = (path: string) => path.replace(/:(\w+)/g, '{$1}')

describe('platform: OpenAPI document and docs page', () => {
  let t: TestServer
  let document: any
  beforeAll(async () => {
    t = await startControlCenter()
    document = (await t.api('GET', '/openapi.json')).body
  })
  afterAll(() => t.close())

  it('is OpenAPI 3.1 with the surface title and a bearer security scheme', () => {
    expect(document.openapi).toBe('3.1.0')
    expect(document.info.title).toBe('Provisio Control Center API')
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' })
  })

  it('lists every route the app registers, and nothing it does not', () => {
    const app = t.server.surfaces.find((surface) => surface.name === 'control-center')!.app
    const registered = new Set(
      app['~routes']
        .filter((route) => route.method && route.method !== 'HEAD' && route.route !== '/**')
        .map((route) => `${route.method} ${asOpenApi(route.route!)}`),
    )
    const documented = new Set(
      Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    )
    expect([...documented].sort()).toEqual([...registered].sort())
    for (const route of [
      'POST /auth/login',
      'POST /auth/refresh',
      'POST /auth/logout',
      'GET /users',
      'POST /users',
      'PUT /users/{id}',
      'DELETE /users/{id}',
      'GET /policies',
      'POST /policies',
      'PUT /policies/{id}',
      'GET /audit/logs',
      'GET /health',
    ]) {
      expect(documented, route).toContain(route)
    }
  })

  it('every documented operation is routed on the live server (never "no route" 404, never 405)', async () => {
    for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(operations)) {
        const concrete = path.replace('{id}', 'missing-id').replace('{file}', 'swagger-ui.css')
        const answer = await t.api(method.toUpperCase(), concrete, { token: t.adminToken, body: method === 'get' ? undefined : {} })
        expect(answer.status, `${method} ${path}`).not.toBe(405)
        if (answer.status === 404) expect(answer.body.error, `${method} ${path}`).not.toMatch(/^No route matches/)
      }
    }
  })

  it('documents the schemas the routes validate with: body, query and path parameters, statuses', () => {
    const createUser = document.paths['/users'].post
    expect(createUser.requestBody.content['application/json'].schema.required).toEqual(expect.arrayContaining(['username', 'password']))
    expect(Object.keys(createUser.responses)).toEqual(expect.arrayContaining(['201', '401', '403', '422', '429']))
    expect(createUser.responses['201'].content['application/json'].schema.properties.success).toEqual({ const: true })
    const listUsers = document.paths['/users'].get
    expect(listUsers.parameters.map((p: any) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(['query:role', 'query:enabled', 'query:limit', 'query:offset']),
    )
    expect(listUsers.parameters.find((p: any) => p.name === 'limit').schema).toMatchObject({ maximum: 1000, default: 50 })
    const updateUser = document.paths['/users/{id}'].put
    expect(updateUser.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', required: true }))
    expect(document.paths['/health'].get.security).toEqual([])
    expect(document.components.schemas.Error.required).toEqual(['success', 'error'])
  })

  it('/docs serves swagger-ui from local files, no CDN', async () => {
    const page = await t.api('GET', '/docs')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(page.body).toContain('/docs/swagger-ui-bundle.js')
    expect(page.body).toContain('/openapi.json')
    expect(page.body).not.toMatch(/https?:\/\//)
    const bundle = await fetch(`${t.base}/docs/swagger-ui-bundle.js`)
    expect(bundle.status).toBe(200)
    expect(bundle.headers.get('content-type')).toContain('javascript')
    expect((await bundle.text()).length).toBeGreaterThan(100_000)
    expect((await t.api('GET', '/docs/..%2Fpackage.json')).status).toBe(404)
    expect((await t.api('GET', '/docs/index.html')).status).toBe(404)
  })
})
