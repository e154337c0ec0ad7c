#!/usr/bin/env node
// The `provisio` bin. It is a committed file, not the built one, because npm links a workspace's
// bins at install time, before `prepare` has built `dist`: a missing target gets no link.
import { existsSync } from 'node:fs'

const cli = new URL('../dist/cli.js', import.meta.url)
if (!existsSync(cli)) {
  console.error('[provisio] @provisio/http is not built (dist/cli.js is missing): run `npm run build` in the repository')
  process.exit(1)
}
await import(cli.href)
