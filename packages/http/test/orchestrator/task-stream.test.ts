import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startOrchestrator } from '../helpers'
import { demoProvider } from './fixtures'

type Test = Awaited<ReturnType<typeof startOrchestrator>>

/** Every SSE frame of a stream until the server closes it. */
async function readEventStream(url: string, token: string): Promise<{ status: number; frames: { event: string; data: any }[] }> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  if (response.status !== 200) return { status: response.status, frames: [] }
  const text = await response.text()
  const frames = text
    .split('\n\n')
    .map((block) => block.split('\n'))
    .filter((lines) => lines.some((line) => line.startsWith('data:')))
    .map((lines) => ({
      event: lines
        .find((line) => line.startsWith('event:'))!
        .slice(6)
        .trim(),
      data: JSON.parse(
        lines
          .find((line) => line.startsWith('data:'))!
          .slice(5)
          .trim(),
      ),
    }))
  return { status: response.status, frames }
}

function readSocket(url: string): Promise<{ frames: any[]; code: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    const frames: any[] = []
    socket.on('message', (data) => frames.push(JSON.parse(String(data))))
    socket.on('close', (code) => resolve({ frames, code }))
    socket.on('error', reject)
  })
}

describe('orchestrator task streams (SSE and WebSocket)', () => {
  let test: Test
  beforeAll(async () => {
    test = await startOrchestrator({ engine: { providers: [demoProvider()] } })
  })
  afterAll(() => test.close())

  it('gives a late SSE client the output so far, then live lines, then the end, then closes', async () => {
    const job = await test.engine.jobs.submit({ provider: 'demo', action: 'echo', input: { name: 'slow', lines: 20, ms: 400 } })
    // Half the output is out before the client connects.
    while (((await test.engine.jobs.get(job.id))?.outputLines ?? 0) < 5) await new Promise((resolve) => setTimeout(resolve, 10))
    const { status, frames } = await readEventStream(`${test.orchestratorBase}/tasks/${job.id}/stream`, test.adminToken)
    expect(status).toBe(200)
    const lines = frames.filter((frame) => frame.event === 'output')
    expect(lines.map((frame) => frame.data.seq)).toEqual([...Array(20).keys()])
    expect(lines[19].data.line).toBe('slow line 19')
    expect(frames[0]).toMatchObject({ event: 'status', data: { task_id: job.id, status: 'Running' } })
    expect(frames.at(-1)).toMatchObject({ event: 'end', data: { task_id: job.id, status: 'Completed', error: null } })
  })

  it('streams a finished failed job at once over a WebSocket and closes with 1000', async () => {
    const job = await test.engine.jobs.submit({ provider: 'demo', action: 'echo', input: { name: 'bad', lines: 2, fail: true } })
    await test.engine.jobs.wait(job.id)
    const { frames, code } = await readSocket(`${test.orchestratorBase.replace('http', 'ws')}/ws/tasks/${job.id}?token=${test.adminToken}`)
    expect(code).toBe(1000)
    expect(frames.map((frame) => frame.type)).toEqual(['status', 'output', 'output', 'end'])
    expect(frames.at(-1).data).toMatchObject({ status: 'Failed', error: 'bad failed on purpose' })
  })

  it('streams a workflow: operations, progress, then the end', async () => {
    const workflow = await test.engine.workflows.submit({
      name: 'streamed',
      operations: [
        { id: 'a', provider: 'demo', action: 'echo', input: { name: 'a', ms: 100 } },
        { id: 'b', provider: 'demo', action: 'echo', input: { name: 'b' }, dependsOn: ['a'] },
      ],
    })
    const { frames } = await readEventStream(`${test.orchestratorBase}/tasks/${workflow.id}/stream`, test.adminToken)
    expect(frames.at(-1)).toMatchObject({ event: 'end', data: { task_id: workflow.id, status: 'Completed', progress: 100 } })
    const completedOperations = frames.filter((frame) => frame.event === 'operation' && frame.data.status === 'Completed').map((frame) => frame.data.id)
    expect(completedOperations).toEqual(['a', 'b'])
  })

  it('answers an unknown task with 404 on both forms, and a missing token with 401', async () => {
    expect((await readEventStream(`${test.orchestratorBase}/tasks/nope/stream`, test.adminToken)).status).toBe(404)
    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${test.orchestratorBase.replace('http', 'ws')}/ws/tasks/nope?token=${test.adminToken}`)
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
      socket.on('error', () => {})
    })
    expect(refused).toBe(404)
    expect((await fetch(`${test.orchestratorBase}/tasks/nope/stream`)).status).toBe(401)
  })
})
