import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { bundleEntries, root } from '../helpers/bundle'

/** The TypeScript modules tests start as child processes (`tsProcessArgs` in test/helpers/ts-process.ts). */
export const spawnedEntries = [
  'packages/http/src/cli.ts',
  'packages/adapters/src/testing/cli.ts',
  'packages/engine/test/fixtures/engine-child.ts',
  'packages/engine/test/fixtures/claims-child.ts',
  'packages/engine/test/fixtures/restart-child.ts',
  'packages/engine/test/fixtures/write-loop.ts',
  'packages/engine/test/storage/fixtures/ack-loop.ts',
  'packages/engine/test/storage/fixtures/shared-writer.ts',
  'packages/engine/test/workflows/fixtures/restart-child.ts',
  'test/multi-node/cluster/node.ts',
  'examples/embed.ts',
  'examples/workflow.ts',
  'examples/plugin.ts',
  'examples/custom-provider.ts',
]

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where this run compiled `spawnedEntries`, each under its path in the repository. */
    spawnedEntriesDir: string
  }
}

/** Compiles the spawned entries once per run, into a directory of this run's own (two runs of one checkout do not share it). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await mkdir(join(root, 'node_modules/.cache'), { recursive: true })
  const outdir = await mkdtemp(join(root, 'node_modules/.cache/spawned-entries-'))
  const compile = () =>
    bundleEntries(
      spawnedEntries.map((entry) => join(root, entry)),
      { outbase: root, outdir },
    )
  await compile()
  // In watch mode a rerun follows a change of the sources: the child processes must run the changed code.
  project.onTestsRerun(compile)
  project.provide('spawnedEntriesDir', outdir)
  return () => rm(outdir, { recursive: true, force: true })
}
