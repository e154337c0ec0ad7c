#!/usr/bin/env node
// The `provisio-standin` bin. It is a committed file, not the built one, because npm links a
// workspace's bins at install time, before `prepare` has built `dist`: a missing target gets no link.
import { existsSync } from 'node:fs'

const cli = new URL('../dist/testing/cli.js', import.meta.url)
if (!existsSync(cli)) {
  console.error('[provisio] @provisio/adapters is not built (dist/testing/cli.js is missing): run `npm run build` in the repository')
  process.exit(1)
}
await import(cli.href)
