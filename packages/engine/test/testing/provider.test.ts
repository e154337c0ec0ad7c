import { setTimeout as sleep } from 'node:timers/promises'
import { defineProvider } from '@provisio/engine'
import { testProvider } from '@provisio/engine/testing'
import { describe } from 'vitest'
import { z } from 'zod'

/** A provider of a user's own, with no adapter behind it: what the suite asks of any provider. */
const greeter = defineProvider({
  name: 'greeter',
  config: z.object({ token: z.string().min(1) }),
  actions: {
    greet: {
      description: 'Greets someone, or fails for nobody',
      input: z.object({ name: z.string() }),
      run(ctx, input) {
        if (input.name === 'nobody') throw Object.assign(new Error('[provisio] [greeter] there is nobody to greet'), { code: 'nobody' })
        ctx.log(`hello ${input.name}`)
        return { greeted: input.name }
      },
      undo: (ctx, _input, result: { greeted: string }) => ctx.log(`goodbye ${result.greeted}`),
    },
    wait: {
      description: 'Waits until cancelled',
      input: z.object({ seconds: z.number() }),
      run: (ctx, input) => sleep(input.seconds * 1000, undefined, { signal: ctx.signal }),
    },
  },
})

describe('testProvider: a provider without adapters', () =>
  testProvider(greeter, {
    start: async () => ({ options: { token: 'greeter-token-5e1f' } }),
    succeeds: { action: 'greet', input: { name: 'ada' } },
    fails: { action: 'greet', input: { name: 'nobody' }, code: 'nobody' },
    cancellable: { action: 'wait', input: { seconds: 60 } },
    reversible: { action: 'greet', input: { name: 'grace' } },
    secrets: ['greeter-token-5e1f'],
  }))
