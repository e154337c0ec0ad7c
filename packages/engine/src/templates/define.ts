import type { z } from 'zod'
import type { WorkflowTemplate } from './types'

/**
 * Defines a workflow template; `build` receives the parameters as its schema outputs them.
 *
 * ```ts
 * const greetAll = defineWorkflowTemplate({
 *   name: 'greet-all',
 *   params: z.object({ names: z.array(z.string()).min(1) }),
 *   build: ({ names }) => ({
 *     name: 'greet-all',
 *     operations: names.map((name) => ({ id: `greet-${name}`, provider: 'hello', action: 'greet', input: { name } })),
 *   }),
 * })
 * ```
 */
export function defineWorkflowTemplate<Params extends z.ZodType>(template: WorkflowTemplate<Params>): WorkflowTemplate<Params> {
  return template
}
