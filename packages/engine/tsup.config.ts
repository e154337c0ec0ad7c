import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/testing/index.ts', 'src/bullmq/index.ts'],
  format: ['esm'],
  // vitest is the suite's peer: the user's own copy runs it.
  external: ['vitest', 'bullmq', 'ioredis'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: true,
})
