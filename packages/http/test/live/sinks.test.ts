import type { Engine } from '@provisio/engine'
import { H3, defineWebSocketHandler, serve } from 'h3'
import { plugin as ws } from 'crossws/server'
import WebSocket from 'ws'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { followJob, liveEventStream, liveSocketHooks, type JobStreamMessage } from '../../src/live'
import { toSurfaceError } from '../../src/platform/engine-errors'
import { expectedLines, startEngine } from './fixtures'

interface Received {
  frames: string[]
  code: number
  reason: string
}

/** Connects and collects every text frame until the server closes the socket. */
function receiveAll(url: string, onFrame?: (frame: string, socket: WebSocket) => void): Promise<Received> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    const frames: string[] = []
    socket.on('message', (data) => {
      frames.push(data.toString())
      onFrame?.(data.toString(), socket)
    })
    socket.on('close', (code, reason) => resolve({ frames, code, reason: reason.toString() }))
    socket.on('error', reject)
  })
}

interface SseEvent {
  event: string
  data: string
}

/** Reads an SSE answer to its end and splits it into `event:`/`data:` frames (comments dropped). */
async function readEvents(response: Response): Promise<SseEvent[]> {
  const text = await response.text()
  return text
    .split('\n\n')
    .filter((block) => block.split('\n').some((line) => line.startsWith('data:')))
    .map((block) => {
      const lines = block.split('\n')
      return {
        event: lines.find((line) => line.startsWith('event: '))?.slice(7) ?? 'message',
        data: lines
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('\n'),
      }
    })
}

const sseFrame = (message: JobStreamMessage) => ({ event: message.type, data: message.type === 'line' ? message.line : JSON.stringify(message.job) })

describe('live sinks on a listening h3 server', () => {
  let engine: Engine
  let server: ReturnType<typeof serve>
  let base: string
  const followers = new Set<AbortSignal>()

  beforeEach(async () => {
    engine = await startEngine()
    // The platform's engine-error mapping, as every surface has it.
    const app = new H3({
      onError: (error) => {
        // h3 wraps what a handler threw; the platform's routes catch it before h3 does.
        const mapped = toSurfaceError(error.cause ?? error)
        return Response.json({ detail: mapped.message }, { status: mapped.status })
      },
    })
    app.get(
      '/ws/jobs/:id',
      defineWebSocketHandler((event) =>
        liveSocketHooks<JobStreamMessage>({
          source: (signal) => {
            followers.add(signal)
            return followJob(engine, event.context.params!.id, { signal })
          },
          format: (message) => JSON.stringify(message.type === 'line' ? { line: message.line } : { status: message.job.status }),
          keepalive: { intervalMs: 50, message: '' },
          onError: (error) => ({ code: 1008, reason: 'unknown job', message: JSON.stringify({ detail: (error as Error).message }) }),
        }),
      ),
    )
    app.get('/sse/jobs/:id', (event) =>
      liveEventStream(event, (signal) => followJob(engine, event.context.params!.id, { signal }), { format: sseFrame, keepaliveMs: 20 }),
    )
    server = serve(app, { port: 0, hostname: '127.0.0.1', silent: true, gracefulShutdown: false, plugins: [ws({})] })
    await server.ready()
    base = new URL(server.url!).origin
  })

  afterEach(async () => {
    await server.close(true)
    await engine.stop({ graceMs: 0 })
    followers.clear()
  })

  it('WebSocket: a subscriber that joins mid-run gets every line once, the final status, keepalives, then a 1000 close', async () => {
    const job = await engine.jobs.submit({ provider: 'talker', action: 'talk', input: { count: 60, pauseMs: 10 } })
    while (((await engine.jobs.get(job.id))?.outputLines ?? 0) < 20) await new Promise((resolve) => setTimeout(resolve, 10))
    const { frames, code } = await receiveAll(`${base.replace('http', 'ws')}/ws/jobs/${job.id}`)
    expect(code).toBe(1000)
    const messages = frames.filter((frame) => frame !== '').map((frame) => JSON.parse(frame))
    expect(messages[0]).toEqual({ status: 'running' })
    expect(messages.filter((message) => 'line' in message).map((message) => message.line)).toEqual(expectedLines(60))
    expect(messages.at(-1)).toEqual({ status: 'completed' })
    // The run lasts about 600 ms: keepalive frames (empty text) came in between.
    expect(frames.filter((frame) => frame === '').length).toBeGreaterThan(0)
  })

  it('WebSocket: a finished job gives its backlog and final status, then closes', async () => {
    const job = await engine.jobs.submit({ provider: 'talker', action: 'talk', input: { count: 5, fail: true } })
    await engine.jobs.wait(job.id)
    const { frames, code } = await receiveAll(`${base.replace('http', 'ws')}/ws/jobs/${job.id}`)
    expect(code).toBe(1000)
    expect(frames.filter((frame) => frame !== '').map((frame) => JSON.parse(frame))).toEqual([
      { status: 'failed' },
      ...expectedLines(5).map((line) => ({ line })),
      { status: 'failed' },
    ])
  })

  it('WebSocket: a failing source sends the error frame and closes with its code', async () => {
    const { frames, code, reason } = await receiveAll(`${base.replace('http', 'ws')}/ws/jobs/missing`)
    expect(code).toBe(1008)
    expect(reason).toBe('unknown job')
    expect(JSON.parse(frames.at(-1)!)).toEqual({ detail: '[provisio] [http] no job "missing"' })
  })

  it('WebSocket: a client that closes early stops the following', async () => {
    const job = await engine.jobs.submit({ provider: 'talker', action: 'talk', input: { count: 200, pauseMs: 20 } })
    const listeners = engine.listenerCount('job:status')
    await receiveAll(`${base.replace('http', 'ws')}/ws/jobs/${job.id}`, (frame, socket) => {
      if (frame.includes('line 2')) socket.close(1000)
    })
    await expect.poll(() => [...followers].every((signal) => signal.aborted)).toBe(true)
    await expect.poll(() => engine.listenerCount('job:status')).toBe(listeners)
    await engine.jobs.cancel(job.id)
  })

  it('SSE: event and data frames, every line, the end, and the stream closes', async () => {
    const job = await engine.jobs.submit({ provider: 'talker', action: 'talk', input: { count: 40, pauseMs: 10 } })
    const response = await fetch(`${base}/sse/jobs/${job.id}`)
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    const events = await readEvents(response)
    expect(events.filter((event) => event.event === 'line').map((event) => event.data)).toEqual(expectedLines(40))
    const end = events.at(-1)!
    expect(end.event).toBe('end')
    expect(JSON.parse(end.data)).toMatchObject({ id: job.id, status: 'completed' })
  })

  it('SSE: a late subscriber of a finished job gets the backlog and the end at once', async () => {
    const job = await engine.jobs.submit({ provider: 'talker', action: 'talk', input: { count: 1500 } })
    await engine.jobs.wait(job.id)
    const events = await readEvents(await fetch(`${base}/sse/jobs/${job.id}`))
    expect(events[0].event).toBe('job')
    expect(events.filter((event) => event.event === 'line').map((event) => event.data)).toEqual(expectedLines(1500))
    expect(events.at(-1)!.event).toBe('end')
    expect(events).toHaveLength(1502)
  })

  it('SSE: an unknown job is an HTTP error, not a stream', async () => {
    const response = await fetch(`${base}/sse/jobs/missing`)
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).not.toBe('text/event-stream')
    expect(await response.json()).toEqual({ detail: 'no job "missing"' })
  })
})
