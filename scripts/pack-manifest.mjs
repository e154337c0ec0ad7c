#!/usr/bin/env node
// prepack/postpack of every package: the `source` export condition (TypeScript sources, for this
// repository's tests and tools) is taken out of the manifest that gets packed. Published, it would
// send consumers who set `customConditions: ["source"]` into our sources with their compiler
// options. `strip` keeps the original next to it; `restore` puts it back.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'

const manifest = 'package.json'
const original = 'package.json.source'

function withoutSource(exports) {
  if (typeof exports !== 'object' || exports === null) return exports
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([key]) => key !== 'source')
      .map(([key, value]) => [key, withoutSource(value)]),
  )
}

const [mode] = process.argv.slice(2)
if (mode === 'strip') {
  const text = readFileSync(manifest, 'utf8')
  const pkg = JSON.parse(text)
  writeFileSync(original, text)
  writeFileSync(manifest, `${JSON.stringify({ ...pkg, exports: withoutSource(pkg.exports) }, null, 2)}\n`)
} else if (mode === 'restore') {
  if (existsSync(original)) renameSync(original, manifest)
} else {
  console.error('usage: pack-manifest.mjs strip|restore')
  process.exit(2)
}
