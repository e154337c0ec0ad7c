import { defineConfig } from 'tsup'

const shared = { format: ['esm'], dts: true, target: 'node20', sourcemap: true } as const

export default defineConfig([
  { ...shared, entry: ['src/index.ts'], clean: true },
  // The `provisio` bin: runnable as a file, hence the hashbang.
  { ...shared, entry: ['src/cli.ts'], banner: { js: '#!/usr/bin/env node' } },
])
