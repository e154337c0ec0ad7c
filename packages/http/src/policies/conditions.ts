import { Environment } from '@marcbachmann/cel-js'

/** What a condition sees: `user.role` is the first role; `'admin' in user.roles` checks them all. */
export interface ConditionInput {
  user: { id: string; username: string; role: string; roles: string[] }
  resource: string
  action: string
  context: Record<string, unknown>
}

const maxConditionLength = 2000

// Only these four variables exist; anything else is an error when the policy is written.
const environment = new Environment({ limits: { maxAstNodes: 500, maxDepth: 32, maxListElements: 100, maxMapEntries: 100, maxCallArguments: 8 } })
  .registerVariable('user', 'map')
  .registerVariable('resource', 'string')
  .registerVariable('action', 'string')
  .registerVariable('context', 'map')

/** The first line of a cel-js message; the rest is a caret drawing of the source. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0].trim()
}

/**
 * Parses and type-checks a Common Expression Language condition (no `eval`), so a bad
 * condition is refused when a policy is written. Throws an Error whose message says why.
 */
export function compileCondition(source: string): { evaluate: (input: ConditionInput) => unknown } {
  if (typeof source !== 'string' || source.trim().length === 0) throw new Error('condition must be a non-empty expression')
  if (source.length > maxConditionLength) throw new Error(`condition must be at most ${maxConditionLength} characters`)
  let parsed: ReturnType<Environment['parse']>
  try {
    parsed = environment.parse(source)
  } catch (error) {
    throw new Error(firstLine(error))
  }
  const checked = parsed.check()
  if (!checked.valid) throw new Error(firstLine(checked.error))
  if (checked.type !== 'bool' && checked.type !== 'dyn') throw new Error(`condition must be true or false, not ${checked.type}`)
  return { evaluate: (input) => parsed(input as unknown as Record<string, unknown>) }
}
