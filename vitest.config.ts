import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    // Workspace packages resolve to their TypeScript sources, so tests never need a build.
    conditions: ['source'],
  },
  // Tests run in vite's SSR environment, which has its own conditions: without this line,
  // `@provisio/*` imports in test files load the packages' stale `dist`.
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker less than the CPUs: a single worker on CI's 2 cores. Most
    // files spend their time waiting on child processes, sockets and timers, so two keep both cores busy.
    maxWorkers: 2,
    // Compiles the TypeScript entries tests start as child processes, once per run.
    globalSetup: ['test/setup/spawned-entries.ts'],
  },
})
