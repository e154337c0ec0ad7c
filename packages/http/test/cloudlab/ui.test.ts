import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cloudlabSurface } from '../../src/surfaces/cloudlab'
import { startCloudlab, type CloudlabServer } from './helpers'

const uiDir = fileURLToPath(new URL('./fixtures/ui', import.meta.url))

describe('cloudlab --cloudlab-ui: a built frontend at / beside the API', () => {
  let app: CloudlabServer
  let index: string

  beforeAll(async () => {
    app = await startCloudlab({ surface: { ui: uiDir } })
    index = await readFile(`${uiDir}/index.html`, 'utf8')
  })
  afterAll(async () => {
    await app?.close()
  })

  const get = (path: string) => fetch(`${app.base}${path}`)

  it('serves index.html at / and for client routes, files as they are', async () => {
    // Their build has no favicon: the browser's /favicon.ico request gets the page, as from the real backend, not a 404.
    for (const path of ['/', '/login', '/accept-invite/abc123', '/jobs/deadbeef', '/reset-password/xyz', '/favicon.ico']) {
      const response = await get(path)
      expect({ path, status: response.status, type: response.headers.get('content-type') }).toEqual({ path, status: 200, type: 'text/html; charset=utf-8' })
      expect(await response.text()).toBe(index)
    }
    const script = await get('/assets/app.js')
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(await script.text()).toContain("const storageKey = 'cloudlab-auth'")
    expect((await get('/assets/app.css')).headers.get('content-type')).toBe('text/css; charset=utf-8')
    expect((await fetch(`${app.base}/`, { method: 'HEAD' })).status).toBe(200)
  })

  it('the API keeps its JSON answers: unknown /api paths are 404 JSON, never the page', async () => {
    for (const path of ['/api', '/api/', '/api/unknown', '/api/auth/nothing/here']) {
      const response = await get(path)
      expect({ path, status: response.status, body: await response.json() }).toEqual({ path, status: 404, body: { detail: 'Not Found' } })
    }
    expect((await app.api('GET', '/api/auth/status', { token: null })).body).toEqual({ setup_complete: true })
  })

  it('a missing built asset is a 404, and no path leaves the UI folder', async () => {
    expect((await get('/assets/missing.js')).status).toBe(404)
    for (const path of ['/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2f..%2fhelpers.ts']) {
      const response = await get(path)
      const text = await response.text()
      expect(text).not.toContain('startCloudlab')
      expect(text).not.toContain('"name"')
    }
    // Only GET and HEAD reach the page.
    expect((await fetch(`${app.base}/login`, { method: 'POST' })).status).toBe(404)
  })

  it('refuses a UI folder without index.html when the surface is built', () => {
    expect(() => cloudlabSurface({ engine: app.engine, identity: app.server.identity } as never, { ui: `${uiDir}/assets` })).toThrow(/index\.html is missing/)
  })
})
