import { setTimeout as sleep } from 'node:timers/promises'
import { defineProvider } from '@provisio/engine'
import { z } from 'zod'

/** What the `demo` provider did, for assertions on undo. */
export interface DemoLog {
  runs: string[]
  undone: string[]
}

const demoInput = z.looseObject({
  name: z.string().default('demo'),
  lines: z.number().int().min(0).max(100_000).default(2),
  ms: z.number().int().min(0).default(0),
  fail: z.boolean().default(false),
  item: z.unknown().optional(),
})

/**
 * `demo.echo` logs `lines` lines (spread over `ms`), then succeeds or fails; it can be undone.
 * `demo.wait` sleeps until cancelled or `ms` passed.
 */
export function demoProvider(log: DemoLog = { runs: [], undone: [] }) {
  return defineProvider({
    name: 'demo',
    actions: {
      echo: {
        input: demoInput,
        run: async (ctx, input) => {
          const name = input.item === undefined ? input.name : `${input.name}#${JSON.stringify(input.item)}`
          log.runs.push(name)
          for (let line = 0; line < input.lines; line++) {
            ctx.log(`${name} line ${line}`)
            if (input.ms) await sleep(input.ms / Math.max(1, input.lines), undefined, { signal: ctx.signal })
          }
          ctx.progress(100, 'done')
          if (input.fail) throw new Error(`${name} failed on purpose`)
          return { made: name }
        },
        undo: async (_ctx, _input, result) => {
          log.undone.push((result as { made: string }).made)
        },
      },
      wait: {
        input: demoInput,
        run: async (ctx, input) => {
          ctx.log('waiting')
          await sleep(input.ms || 60_000, undefined, { signal: ctx.signal })
          return { waited: input.ms }
        },
      },
    },
  })
}
