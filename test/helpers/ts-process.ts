import { existsSync } from 'node:fs'
import { join, relative } from 'node:path'
import { inject } from 'vitest'
import { root } from './bundle'

/**
 * The `node` arguments that run the TypeScript module `file` (an absolute path) as a child
 * process: its compiled copy from this run's test/setup/spawned-entries.ts, where it must be listed.
 */
export function tsProcessArgs(file: string): string[] {
  const compiled = join(inject('spawnedEntriesDir'), relative(root, file)).replace(/\.ts$/, '.mjs')
  if (!existsSync(compiled)) throw new Error(`${relative(root, file)} is not compiled for child processes: list it in test/setup/spawned-entries.ts`)
  return ['--conditions=source', compiled]
}
