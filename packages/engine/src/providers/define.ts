import type { z } from 'zod'
import type { ActionDefinition, Provider, ProviderDefinition } from './types'

/**
 * Defines a provider, the way unstorage defines a driver: one object with a
 * schema for its configuration and one for each action's input.
 *
 * ```ts
 * const hello = defineProvider({
 *   name: 'hello',
 *   actions: {
 *     greet: {
 *       input: z.object({ name: z.string() }),
 *       run: (ctx, input) => { ctx.log(`hello ${input.name}`); return { greeted: input.name } },
 *     },
 *   },
 * })
 * ```
 */
export function defineProvider<ConfigSchema extends z.ZodType = z.ZodType<Record<string, never>>, Inputs extends Record<string, unknown> = Record<string, any>>(
  definition: Omit<ProviderDefinition<ConfigSchema>, 'actions'> & {
    actions: { [K in keyof Inputs]: ActionDefinition<z.output<ConfigSchema>, Inputs[K]> }
  },
): Provider<ConfigSchema> {
  const provider: Provider<ConfigSchema> = {
    ...(definition as ProviderDefinition<ConfigSchema>),
    configure: (options) => ({ ...provider, options }),
  }
  return provider
}
