import { describe, expect, it } from 'vitest'
import { createStorage, defineDriver } from 'unstorage'
import memoryDriver from 'unstorage/drivers/memory'
import { startEngine } from '../helpers'

/** A memory storage that counts writes and bytes written, per key prefix. */
function countingStorage() {
  const inner = memoryDriver()
  const stats = { outputWrites: 0, outputBytes: 0 }
  const driver = defineDriver(() => ({
    ...inner,
    name: 'counting',
    setItem(key: string, value: string, options: unknown) {
      if (key.startsWith('output:')) {
        stats.outputWrites++
        stats.outputBytes += value.length
      }
      return inner.setItem!(key, value, options as never)
    },
  }))
  return { storage: createStorage({ driver: driver() }), stats }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

describe('jobs: output', () => {
  it('stores 1,000,000 lines in chunks: writes and bytes grow linearly, memory stays flat', async () => {
    const { storage, stats } = countingStorage()
    const engine = await startEngine({ storage })
    global.gc?.()
    const heapBefore = process.memoryUsage().heapUsed
    let heapPeak = heapBefore
    const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 5)
    const count = 1_000_000
    const job = await engine.jobs.submit({ provider: 'test', action: 'lines', input: { count } })
    const done = await engine.jobs.wait(job.id)
    clearInterval(sampler)
    expect(done.outputLines).toBe(count)
    // One write per 1,000 lines (plus a partial chunk), each line written once.
    expect(stats.outputWrites).toBeLessThanOrEqual(count / 1000 + 2)
    const lineBytes = Array.from({ length: count }, (_, n) => `"line ${n}",`.length).reduce((a, b) => a + b, 0)
    expect(stats.outputBytes).toBeLessThan(lineBytes * 1.05)
    // The stored output itself is ~12 MB of JSON in the memory storage; the engine must not hold the lines a second time.
    expect(heapPeak - heapBefore).toBeLessThan(100 * 1024 * 1024)
    const tail = await collect(engine.jobs.output(job.id, { from: count - 2 }))
    expect(tail).toEqual([
      { seq: count - 2, line: `line ${count - 2}` },
      { seq: count - 1, line: `line ${count - 1}` },
    ])
  })

  it('reads from any offset, across chunk boundaries', async () => {
    const engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'test', action: 'lines', input: { count: 2500, batch: 700 } })
    await engine.jobs.wait(job.id)
    const lines = await collect(engine.jobs.output(job.id, { from: 995 }))
    expect(lines.length).toBe(1505)
    expect(lines[0]).toEqual({ seq: 995, line: 'line 995' })
    expect(lines.map((line) => line.seq)).toEqual(Array.from({ length: 1505 }, (_, n) => n + 995))
    expect(await collect(engine.jobs.output(job.id, { from: 5000 }))).toEqual([])
  })

  it('follows live output until the job ends, without gaps or repeats', async () => {
    const engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'test', action: 'lines', input: { count: 5000, batch: 50 } })
    const followed = await collect(engine.jobs.output(job.id, { follow: true }))
    expect(followed.map((line) => line.seq)).toEqual(Array.from({ length: 5000 }, (_, n) => n))
    expect((await engine.jobs.get(job.id))?.status).toBe('completed')
  })

  it('without follow, returns what exists now', async () => {
    const engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'test', action: 'sleep', input: { ms: 300 } })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await collect(engine.jobs.output(job.id))).toEqual([{ seq: 0, line: 'sleeping 300 ms' }])
  })
})

describe('jobs: output lost with a crash', () => {
  it('reading a restarted job skips the lines its record counted but no chunk holds, instead of waiting for them forever', async () => {
    const { defineProvider, createEngine } = await import('../../src')
    const { z } = await import('zod')
    const inner = memoryDriver()
    let dropOutput = true
    // The first process "crashes" before its output chunks reach the disk: their writes are lost.
    const driver = defineDriver(() => ({
      ...inner,
      name: 'lossy',
      setItem(key: string, value: string, options: unknown) {
        if (dropOutput && key.startsWith('output:')) return
        return inner.setItem!(key, value, options as never)
      },
    }))
    const storage = createStorage({ driver: driver() })
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const provider = defineProvider({
      name: 'lossy',
      actions: {
        run: {
          idempotent: true,
          input: z.object({}),
          run: async (ctx) => {
            for (const line of ['one', 'two', 'three']) ctx.log(line)
            ctx.progress(50)
            await gate
            return 'done'
          },
        },
      },
    })
    const first = createEngine({ storage, providers: [provider] })
    await first.start()
    const job = await first.jobs.submit({ provider: 'lossy', action: 'run', input: {} })
    const stored = async () => (await storage.getItem<{ outputLines: number }>(`jobs:records:${job.id}`))?.outputLines ?? 0
    for (let tries = 0; (await stored()) < 3 && tries < 200; tries++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(await stored()).toBe(3)

    // A second process takes the store over; the first is gone without a word.
    dropOutput = false
    const second = createEngine({ storage, providers: [provider] })
    await second.start()
    const read = collect(second.jobs.output(job.id))
    const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('output() never returned')), 2_000))
    const lines = await Promise.race([read, late])
    // The three lost lines are skipped; what the re-run logged (once it was written) follows them.
    expect(lines.every((line) => line.seq >= 3)).toBe(true)
    release()
    await second.jobs.wait(job.id)
    await second.stop({ graceMs: 0 })
    await first.stop({ graceMs: 0 })
  })
})
