import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { ApiError } from '../platform/errors'
import { defineRoute, type RouteDefinition, type SurfaceDefinition } from '../platform/types'
import { createOpenApiDocument } from './document'

/** The swagger-ui files the docs page loads, served from the installed package (no CDN). */
const swaggerAssets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
}

const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))

function docsPage(title: string, base: string): string {
  const escaped = title.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escaped}</title>
<link rel="stylesheet" href="${base}/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="${base}/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${base}/docs/swagger-ui-bundle.js"></script>
<script src="${base}/docs/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: '${base}/openapi.json', dom_id: '#swagger-ui', presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' })
</script>
</body>
</html>`
}

/** `/openapi.json`, `/docs` and the docs page's assets, added to every surface by the platform. */
export function documentationRoutes(surface: SurfaceDefinition): RouteDefinition[] {
  let document: Record<string, unknown> | undefined
  const routes: RouteDefinition[] = [
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      summary: `OpenAPI 3.1 document of the ${surface.name} surface`,
      tags: ['documentation'],
      auth: false,
      rateLimit: false,
      raw: true,
      handler: () => {
        document ??= createOpenApiDocument(surface, [...surface.routes, ...routes])
        return Response.json(document)
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/docs',
      summary: 'Interactive API documentation (swagger-ui)',
      tags: ['documentation'],
      auth: false,
      rateLimit: false,
      raw: true,
      handler: ({ event }) => {
        const base = event.url.pathname.replace(/\/docs\/?$/, '')
        return new Response(docsPage(surface.title, base), { headers: { 'Content-Type': 'text/html; charset=utf-8' } })
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/docs/:file',
      summary: 'Static files of the documentation page',
      tags: ['documentation'],
      auth: false,
      rateLimit: false,
      raw: true,
      params: z.object({ file: z.string().describe(`One of ${Object.keys(swaggerAssets).join(', ')}`) }),
      handler: async ({ params, event }) => {
        const type = Object.hasOwn(swaggerAssets, params.file) ? swaggerAssets[params.file] : undefined
        if (!type) throw new ApiError(404, `No documentation file ${event.url.pathname}`)
        const content = await readFile(join(swaggerDir, params.file))
        return new Response(content, { headers: { 'Content-Type': type, 'Cache-Control': 'public, max-age=86400' } })
      },
    }),
  ]
  return routes
}
