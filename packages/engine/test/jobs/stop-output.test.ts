import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createEngine, defineProvider, fsStorage } from '../../src'
import { tempDir, waitFor } from '../helpers'

/** Jobs that write output while the engine stops: through its grace period, and after it cancels them. */
const windDown = defineProvider({
  name: 'wind-down',
  actions: {
    // Logs every 10 ms for `ms`, then returns: it ends inside the grace period.
    finishes: {
      input: z.object({ ms: z.number() }),
      run: async (ctx, input) => {
        ctx.log('started')
        for (let elapsed = 0; elapsed < input.ms; elapsed += 10) {
          await sleep(10)
          ctx.log(`working ${elapsed}`)
        }
        ctx.log('finished')
        return null
      },
    },
    // Runs until told to stop, then takes a moment to clean up, logging as it goes.
    outlasts: {
      input: z.object({}),
      run: async (ctx) => {
        ctx.log('started')
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }))
        ctx.log('stopping')
        await sleep(50)
        ctx.log('cleaned up')
        throw ctx.signal.reason
      },
    },
    // Says nothing until it is told to stop.
    quietUntilStopped: {
      input: z.object({}),
      run: async (ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }))
        await sleep(20)
        ctx.log('stopped at last')
        throw ctx.signal.reason
      },
    },
  },
})

async function linesOf(engine: ReturnType<typeof createEngine>, id: string): Promise<string[]> {
  const lines: string[] = []
  for await (const { line } of engine.jobs.output(id)) lines.push(line)
  return lines
}

describe('jobs: output while the engine stops', () => {
  it('stores every line a job wrote before its end: through the grace period, and as it winds down after stop cancelled it', async () => {
    const base = tempDir()
    const storage = fsStorage({ base })
    const engine = createEngine({ storage, providers: [windDown] })
    const errors: string[] = []
    engine.on('engine:error', ({ error, context }) => errors.push(`${context}: ${error.message}`))
    await engine.start()
    const finishes = await engine.jobs.submit({ provider: 'wind-down', action: 'finishes', input: { ms: 150 } })
    const outlasts = await engine.jobs.submit({ provider: 'wind-down', action: 'outlasts', input: {} })
    const quiet = await engine.jobs.submit({ provider: 'wind-down', action: 'quietUntilStopped', input: {} })
    await waitFor(async () => (await engine.jobs.get(quiet.id))?.status === 'running')
    await engine.stop({ graceMs: 300 })
    await storage.dispose()
    expect(errors).toEqual([])

    // Read back from the disk by a new engine.
    const reopened = fsStorage({ base })
    const reader = createEngine({ storage: reopened })
    try {
      const done = await reader.jobs.get(finishes.id)
      expect(done).toMatchObject({ status: 'completed', outputLines: 17 })
      expect(await linesOf(reader, finishes.id)).toEqual(['started', ...Array.from({ length: 15 }, (_, n) => `working ${n * 10}`), 'finished'])

      expect(await reader.jobs.get(outlasts.id)).toMatchObject({ status: 'cancelled', outputLines: 3 })
      expect(await linesOf(reader, outlasts.id)).toEqual(['started', 'stopping', 'cleaned up'])
      expect(await reader.jobs.get(quiet.id)).toMatchObject({ status: 'cancelled', outputLines: 1 })
      expect(await linesOf(reader, quiet.id)).toEqual(['stopped at last'])
    } finally {
      await reopened.dispose()
    }
  })
})
