import { readFile } from 'node:fs/promises'
import { dirname, extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build, type Plugin } from 'esbuild'

export const root = resolve(import.meta.dirname, '../..')

/**
 * Dependencies stay outside the bundle, imported from the file Node itself would load (so a
 * package's own node_modules, such as nunjucks under packages/http, still wins). The workspace
 * packages are bundled from their sources, as `--conditions=source` would load them.
 */
const dependenciesInPlace: Plugin = {
  name: 'dependencies-in-place',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('@provisio/') || args.pluginData === 'in-place') return undefined
      if (args.path.startsWith('node:')) return { external: true }
      const found = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'in-place' })
      return found.errors.length > 0 ? { errors: found.errors } : { path: found.path, external: true }
    })
  },
}

/** `import.meta.url`, `dirname` and `filename` keep naming the source file, not the bundle: paths built from them resolve as in the sources. */
const sourceLocations: Plugin = {
  name: 'source-locations',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
      if (args.path.includes('/node_modules/') && !args.path.includes('/node_modules/.cache/')) return undefined
      const code = await readFile(args.path, 'utf8')
      return {
        loader: extname(args.path).includes('t') ? 'ts' : 'js',
        contents: code
          .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
          .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
          .replaceAll('import.meta.filename', JSON.stringify(args.path)),
      }
    })
  },
}

/**
 * Compiles each TypeScript entry, with the workspace sources it imports, into `outdir`, keeping
 * its path under `outbase` (`packages/http/src/cli.ts` → `<outdir>/packages/http/src/cli.mjs`).
 * A child process started from there loads a few chunks instead of having tsx resolve and
 * compile hundreds of source files on every start: what runs is the same code, compiled by the
 * same esbuild tsx uses, with names kept (`keepNames`) since errors report `constructor.name`.
 */
export async function bundleEntries(entries: string[], { outbase, outdir }: { outbase: string; outdir: string }): Promise<void> {
  await build({
    entryPoints: entries,
    outbase,
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    conditions: ['source'],
    keepNames: true,
    logLevel: 'error',
    plugins: [dependenciesInPlace, sourceLocations],
  })
}
