import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCloudlab, tempDir, writeServices, type CloudlabTest } from './starter'

/** Every operations route, with its path parameters filled in. */
const routes: [method: string, path: string][] = [
  ['GET', '/api/services'],
  ['GET', '/api/services/active-deployments'],
  ['GET', '/api/services/outputs'],
  ['GET', '/api/services/{name}'],
  ['GET', '/api/services/{name}/outputs'],
  ['POST', '/api/services/{name}/deploy'],
  ['POST', '/api/services/{name}/run'],
  ['POST', '/api/services/{name}/stop'],
  ['POST', '/api/services/actions/stop-all'],
  ['GET', '/api/services/{name}/configs'],
  ['GET', '/api/services/{name}/configs/{file}'],
  ['PUT', '/api/services/{name}/configs/{file}'],
  ['GET', '/api/services/{name}/files/{sub}'],
  ['POST', '/api/services/{name}/files/{sub}'],
  ['GET', '/api/services/{name}/files/{sub}/{file}'],
  ['PUT', '/api/services/{name}/files/{sub}/{file}'],
  ['DELETE', '/api/services/{name}/files/{sub}/{file}'],
  ['GET', '/api/instances'],
  ['GET', '/api/instances/refresh'],
  ['POST', '/api/instances/refresh'],
  ['POST', '/api/instances/stop'],
  ['POST', '/api/instances/{name}/{sub}/stop'],
  ['GET', '/api/costs'],
  ['GET', '/api/costs/by-tag'],
  ['GET', '/api/costs/by-region'],
  ['POST', '/api/costs/refresh'],
  ['GET', '/api/jobs'],
  ['GET', '/api/jobs/{name}'],
  ['DELETE', '/api/jobs/{name}'],
  ['GET', '/api/jobs/{name}/stream'],
]

/** Path parameters a client can send: encoded traversal, NUL, very long, non-ASCII, malformed escapes. */
const segments = ['web', '..%2F..%2Fetc%2Fpasswd', '%00', 'x'.repeat(3000), '%zz']

const bodies: { body?: string; type?: string }[] = [
  {},
  { body: '{', type: 'application/json' },
  { body: '[]', type: 'application/json' },
  { body: '{"content": {"deep": [1, 2]}, "script": 7, "inputs": "nope", "label": null}', type: 'application/json' },
  { body: 'content=x', type: 'application/x-www-form-urlencoded' },
  { body: '--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nbroken', type: 'multipart/form-data; boundary=x' },
]

describe('cloudlab operations: bad input never answers 500', () => {
  let lab: CloudlabTest

  beforeAll(async () => {
    const servicesDir = tempDir('robust')
    writeServices(servicesDir, { 'web/deploy.sh': 'exit 0\n', 'web/inputs/a.txt': 'a\n' })
    lab = await startCloudlab({ servicesDir })
  })
  afterAll(() => lab?.close())

  it('documents every route in the OpenAPI document', async () => {
    const document = (await lab.call('GET', '/openapi.json', { token: '' })).body
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    )
    for (const [method, template] of routes) {
      const path = template
        .replace('{name}/{sub}/stop', '{label}/{region}/stop')
        .replace('/api/jobs/{name}', '/api/jobs/{id}')
        .replaceAll('{file}', '{filename}')
        .replaceAll('{sub}', '{subdir}')
      expect(documented).toContain(`${method} ${path}`)
    }
  })

  it('answers every route with a client error or success, in the FastAPI shape', async () => {
    const failures: string[] = []
    for (const [method, template] of routes) {
      // One route at a time, its variants at once.
      const variants = segments.flatMap((segment) => {
        const path = template
          .replaceAll('{name}', segment)
          .replaceAll('{sub}', segment === 'web' ? 'inputs' : segment)
          .replaceAll('{file}', segment)
        return (method === 'GET' ? [{}] : bodies).map((body) => ({ path, ...body }))
      })
      await Promise.all(
        variants.map(async ({ path, body, type }) => {
          const answer = await lab.call(method, path, { rawBody: body, headers: type ? { 'content-type': type } : {} })
          const shaped = answer.status < 400 || (typeof answer.body === 'object' && answer.body !== null && 'detail' in answer.body)
          if (answer.status >= 500 || !shaped)
            failures.push(`${method} ${path.slice(0, 80)} ${type ?? ''} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 120)}`)
        }),
      )
    }
    expect(failures).toEqual([])
  })
})
