import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, resolve, sep } from 'node:path'
import type { H3Event } from 'h3'

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
}

/** `/api` and everything under it is the API's: an unknown path there is a JSON 404, never the page. */
export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/')
}

/**
 * Serves a built CloudLab Manager frontend (vite's `dist`) at `/`: its files as they are, and
 * `index.html` for every other path outside `assets/`, so that the React router's client routes
 * (`/accept-invite/<token>`, `/jobs/<id>`) load the app.
 */
export function uiFallback(dir: string): (event: H3Event) => Promise<Response | undefined> {
  const root = resolve(dir)
  const index = join(root, 'index.html')
  const assets = join(root, 'assets') + sep
  if (!existsSync(index))
    throw new Error(
      `[provisio] [cloudlab] ${root} is not a built CloudLab Manager frontend: index.html is missing (run \`npm run build\` in its frontend/ and pass dist/)`,
    )

  const send = async (file: string, cache: string): Promise<Response | undefined> => {
    const body = await readFile(file).catch(() => undefined)
    if (!body) return undefined
    return new Response(body, { headers: { 'Content-Type': contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream', 'Cache-Control': cache } })
  }

  return async (event) => {
    const path = event.url.pathname
    if (isApiPath(path)) return undefined
    let decoded: string
    try {
      decoded = decodeURIComponent(path)
    } catch {
      return undefined
    }
    const file = resolve(root, `.${decoded}`)
    // `..` and encoded separators must not leave the UI folder.
    if (file !== root && !file.startsWith(root + sep)) return undefined
    if (file !== root && (await stat(file).catch(() => undefined))?.isFile()) {
      // vite names built assets by their hash: they never change under one name.
      return send(file, file.startsWith(assets) ? 'public, max-age=31536000, immutable' : 'no-cache')
    }
    // A missing built asset stays a 404 (a stale hashed name shows). Any other path is the page, as
    // the real backend's catch-all answers: the browser's own /favicon.ico request (their build has
    // no icon) then gets no 404 in the console.
    if (file.startsWith(assets)) return undefined
    return send(index, 'no-cache')
  }
}
