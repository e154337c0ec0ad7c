import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { extname, join, resolve, sep } from 'node:path'
import nunjucks from 'nunjucks'
import { ApiError } from '../../platform/errors'

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json',
}

/** Jinja's `tojson`: JSON that is safe inside HTML and `<script>` (`<`, `>`, `&`, `'` escaped). */
function jinjaJson(value: unknown): string {
  return JSON.stringify(value ?? null)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll("'", '\\u0027')
}

export interface TartvmPage {
  /** The page at `/`: the checkout's `index.html` rendered with the token, as the real server does. */
  render: (token: string) => string
  /** A file under `tartvm/static/`, or `appicon.png`; `undefined` when there is none. */
  file: (path: 'appicon.png' | `static/${string}`) => Promise<Response | undefined>
}

/**
 * The web page of a checkout of de taartenfabriek (`--tartvm-ui DIR`): its Jinja templates
 * (`tartvm/templates/*.html`, which use only `extends` and `block`) rendered by nunjucks, its
 * `tartvm/static/` files and `appicon.png` served as they are.
 */
export function openPage(dir: string): TartvmPage {
  const root = resolve(dir)
  const templates = join(root, 'tartvm', 'templates')
  if (!existsSync(join(templates, 'index.html'))) {
    throw new Error(`[provisio] [tartvm] ${root} is not a checkout of de taartenfabriek: tartvm/templates/index.html is missing`)
  }
  const staticDir = join(root, 'tartvm', 'static')
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templates), { autoescape: true })
  env.addFilter('tojson', (value: unknown) => new nunjucks.runtime.SafeString(jinjaJson(value)))

  const send = async (file: string): Promise<Response | undefined> => {
    const body = await readFile(file).catch(() => undefined)
    if (!body) return undefined
    return new Response(body, {
      headers: { 'Content-Type': contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' },
    })
  }

  return {
    render: (token) => env.render('index.html', { api_token: token, request: {} }),
    file: async (path) => {
      if (path === 'appicon.png') return send(join(root, 'appicon.png'))
      const file = resolve(staticDir, path.slice('static/'.length))
      // `..` and absolute parts must not leave the static folder.
      if (!file.startsWith(staticDir + sep)) throw new ApiError(404, 'Not Found')
      return send(file)
    },
  }
}
