import { defineConfig } from 'tsup'

// One build for both entries: two configs sharing dist raced (one's `clean` removed the other's
// output). The `provisio` bin is bin/provisio.js, which imports dist/cli.js: no hashbang needed here.
export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: true,
})
