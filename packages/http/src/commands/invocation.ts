import { accessSync, constants, realpathSync } from 'node:fs'
import { delimiter, join } from 'node:path'

function resolvesTo(file: string, target: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return realpathSync(file) === target
  } catch {
    return false
  }
}

/**
 * How the user can run `provisio` from their shell, for hints: `provisio` when they started it by
 * that name from their PATH, else `npx provisio` (a clone, `npm start`, a project dependency).
 * Under npm scripts the PATH holds `node_modules/.bin`, which the user's shell does not.
 */
export function provisioCommand(env: NodeJS.ProcessEnv = process.env, script = process.argv[1]): string {
  if (env.npm_lifecycle_event || !script) return 'npx provisio'
  let target: string
  try {
    target = realpathSync(script)
  } catch {
    return 'npx provisio'
  }
  const onPath = (env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && resolvesTo(join(dir, 'provisio'), target))
  return onPath ? 'provisio' : 'npx provisio'
}
