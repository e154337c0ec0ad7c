import type { Engine } from '@provisio/engine'
import { afterEach, describe, expect, it } from 'vitest'
import { batched, followJob, followWorkflow, type JobStreamMessage } from '../../src/live'
import { deferred, expectedLines, printingCommand, startEngine } from './fixtures'

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const messages: T[] = []
  for await (const message of source) messages.push(message)
  return messages
}

const linesOf = (messages: JobStreamMessage[]) => messages.flatMap((message) => (message.type === 'line' ? [message.line] : []))
const seqsOf = (messages: JobStreamMessage[]) => messages.flatMap((message) => (message.type === 'line' ? [message.seq] : []))

describe('followJob', () => {
  let engine: Engine
  afterEach(async () => {
    await engine?.stop({ graceMs: 0 })
  })

  it("gives a running shell command's lines once each, in order, then the final record last", async () => {
    engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'exec', action: 'run', input: { command: printingCommand(30) } })
    const messages = await collect(followJob(engine, job.id))
    expect(messages[0]).toMatchObject({ type: 'job', job: { id: job.id } })
    expect(linesOf(messages).filter((line) => line.startsWith('line '))).toEqual(expectedLines(30))
    const seqs = seqsOf(messages)
    expect(seqs).toEqual(seqs.map((_, index) => index))
    const last = messages.at(-1)!
    expect(last).toMatchObject({ type: 'end', job: { status: 'completed' } })
    expect(messages.filter((message) => message.type === 'end')).toHaveLength(1)
    // The status change to running came through as its own message.
    expect(messages.some((message) => message.type === 'job' && message.job.status === 'running')).toBe(true)
  })

  it('a late subscriber that joins mid-run gets the backlog from line 0 and no line twice', async () => {
    engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'talker', action: 'talk', input: { count: 400, pauseMs: 5, every: 10 } })
    const early = collect(followJob(engine, job.id))
    // Join once part of the output exists, some of it already stored in chunks.
    while (((await engine.jobs.get(job.id))?.outputLines ?? 0) < 150) await new Promise((resolve) => setTimeout(resolve, 10))
    const late = await collect(followJob(engine, job.id))
    for (const messages of [await early, late]) {
      expect(linesOf(messages)).toEqual(expectedLines(400))
      expect(messages.at(-1)).toMatchObject({ type: 'end', job: { status: 'completed', result: { said: 400 } } })
    }
  })

  it('a job that already ended gives its record, the whole backlog and the final record, then ends', async () => {
    engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'talker', action: 'talk', input: { count: 1200, fail: true } })
    await engine.jobs.wait(job.id)
    const messages = await collect(followJob(engine, job.id))
    expect(messages[0]).toMatchObject({ type: 'job', job: { status: 'failed' } })
    expect(linesOf(messages)).toEqual(expectedLines(1200))
    expect(messages.at(-1)).toMatchObject({ type: 'end', job: { status: 'failed', error: { message: 'talker was told to fail' } } })
    expect(messages).toHaveLength(1 + 1200 + 1)
  })

  it('from: a client that has the first lines already gets the rest, once each', async () => {
    engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'talker', action: 'talk', input: { count: 300, pauseMs: 2, every: 20 } })
    const messages = await collect(followJob(engine, job.id, { from: 120 }))
    expect(seqsOf(messages)).toEqual(Array.from({ length: 180 }, (_, index) => 120 + index))
    expect(messages.at(-1)).toMatchObject({ type: 'end', job: { status: 'completed' } })
  })

  it('a queued job: its pending record first, then running, its lines and the end', async () => {
    const gate = deferred()
    engine = await startEngine({ gates: new Map([['g', gate.promise]]), concurrency: 1 })
    const blocker = await engine.jobs.submit({ provider: 'talker', action: 'talk', input: { count: 1, gate: 'g' } })
    const job = await engine.jobs.submit({ provider: 'talker', action: 'talk', input: { count: 3 } })
    const following = collect(followJob(engine, job.id))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await engine.jobs.get(job.id))?.status).toBe('pending')
    gate.resolve()
    const messages = await following
    expect(messages.map((message) => (message.type === 'line' ? 'line' : `${message.type}:${message.job.status}`))).toEqual([
      'job:pending',
      'job:running',
      'line',
      'line',
      'line',
      'end:completed',
    ])
    expect(linesOf(messages)).toEqual(expectedLines(3))
    await engine.jobs.wait(blocker.id)
  })

  it("an unknown job rejects with the engine's not-found error", async () => {
    engine = await startEngine()
    await expect(collect(followJob(engine, 'no-such-job'))).rejects.toMatchObject({ code: 'not_found' })
  })

  it('aborting the signal ends the stream without an end message and drops the listener', async () => {
    engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'talker', action: 'talk', input: { count: 100, pauseMs: 20 } })
    const controller = new AbortController()
    const messages: JobStreamMessage[] = []
    const listenersBefore = engine.listenerCount('job:status')
    for await (const message of followJob(engine, job.id, { signal: controller.signal })) {
      messages.push(message)
      if (message.type === 'line' && message.seq === 4) controller.abort()
    }
    expect(linesOf(messages)).toEqual(expectedLines(5))
    expect(messages.some((message) => message.type === 'end')).toBe(false)
    expect(engine.listenerCount('job:status')).toBe(listenersBefore)
    await engine.jobs.cancel(job.id)
  })

  it('batched() groups lines that arrive together, losing none', async () => {
    engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'talker', action: 'talk', input: { count: 500 } })
    await engine.jobs.wait(job.id)
    const batches = await collect(batched(followJob(engine, job.id)))
    expect(batches.length).toBeLessThan(100)
    expect(linesOf(batches.flat())).toEqual(expectedLines(500))
    expect(batches.at(-1)!.at(-1)).toMatchObject({ type: 'end' })
  })
})

describe('followWorkflow', () => {
  let engine: Engine
  afterEach(async () => {
    await engine?.stop({ graceMs: 0 })
  })

  it('gives the workflow, its operation and status changes, then the final record', async () => {
    engine = await startEngine()
    const workflow = await engine.workflows.submit({
      name: 'two steps',
      operations: [
        { id: 'first', provider: 'talker', action: 'talk', input: { count: 2, pauseMs: 20 } },
        { id: 'second', provider: 'talker', action: 'talk', input: { count: 2, pauseMs: 20 }, dependsOn: ['first'] },
      ],
    })
    const messages = await collect(followWorkflow(engine, workflow.id))
    expect(messages[0]).toMatchObject({ type: 'workflow', workflow: { id: workflow.id } })
    const operations = messages.flatMap((message) => (message.type === 'operation' ? [`${message.operationId}:${message.status}`] : []))
    expect(operations).toEqual(expect.arrayContaining(['first:completed', 'second:running', 'second:completed']))
    expect(operations.indexOf('first:completed')).toBeLessThan(operations.indexOf('second:running'))
    const end = messages.at(-1)!
    expect(end).toMatchObject({ type: 'end', workflow: { status: 'completed' } })
    expect(end.type === 'end' && end.workflow.operations.map((operation) => operation.status)).toEqual(['completed', 'completed'])
    expect(messages.filter((message) => message.type === 'end')).toHaveLength(1)
  })

  it('a finished workflow gives its record and the end at once', async () => {
    engine = await startEngine()
    const workflow = await engine.workflows.submit({
      name: 'one',
      operations: [{ id: 'only', provider: 'talker', action: 'talk', input: { count: 1, fail: true } }],
    })
    await engine.workflows.wait(workflow.id)
    const messages = await collect(followWorkflow(engine, workflow.id))
    expect(messages.map((message) => message.type)).toEqual(['workflow', 'end'])
    expect(messages[1]).toMatchObject({ workflow: { status: 'failed' } })
  })

  it('an unknown workflow rejects with not-found', async () => {
    engine = await startEngine()
    await expect(collect(followWorkflow(engine, 'nope'))).rejects.toMatchObject({ code: 'not_found' })
  })
})
