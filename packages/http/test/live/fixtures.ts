import { createEngine, defineProvider, type Engine } from '@provisio/engine'
import { exec } from '@provisio/adapters'
import { z } from 'zod'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A provider whose `talk` action logs `count` lines `line <n>`, pausing `pauseMs` after every
 * `every` lines, and fails at the end when asked; `gate` waits for a release before its lines.
 */
export function talkerProvider(gates: Map<string, Promise<void>> = new Map()) {
  return defineProvider({
    name: 'talker',
    actions: {
      talk: {
        input: z.object({
          count: z.number().int(),
          pauseMs: z.number().int().default(0),
          every: z.number().int().default(1),
          fail: z.boolean().default(false),
          gate: z.string().optional(),
        }),
        async run(ctx, input) {
          if (input.gate) await gates.get(input.gate)
          for (let n = 0; n < input.count; n++) {
            ctx.log(`line ${n}`)
            if (input.pauseMs && (n + 1) % input.every === 0) await sleep(input.pauseMs)
          }
          if (input.fail) throw new Error('talker was told to fail')
          return { said: input.count }
        },
      },
    },
  })
}

export async function startEngine(options: { gates?: Map<string, Promise<void>>; concurrency?: number } = {}): Promise<Engine> {
  const engine = createEngine({ providers: [talkerProvider(options.gates), exec()], stopGraceMs: 2_000, concurrency: options.concurrency })
  await engine.start()
  return engine
}

/** A shell command printing `count` lines with a short sleep between them. */
export const printingCommand = (count: number, sleepSeconds = 0.02) => `for i in $(seq 0 ${count - 1}); do echo "line $i"; sleep ${sleepSeconds}; done`

/** Lines `line 0` … `line <count-1>`. */
export const expectedLines = (count: number) => Array.from({ length: count }, (_, n) => `line ${n}`)

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {}
  const promise = new Promise<void>((done) => (resolve = done))
  return { promise, resolve }
}
