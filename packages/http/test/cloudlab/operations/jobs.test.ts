import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectDetail, startCloudlab, tempDir, writeServices, type CloudlabTest } from './starter'

const services = {
  'hello/deploy.sh': 'echo hello deployed\n',
  'other/deploy.sh': 'echo other deployed\n',
  // Prints a line, waits until the test creates the gate file, then prints two more.
  'gate/deploy.sh': 'exit 0\n',
  'gate/wait.sh': 'echo first\nwhile [ ! -f "$INPUT_GATE" ]; do sleep 0.05; done\necho second\necho third\n',
  'gate/scripts.yaml': 'scripts:\n  - {name: wait, label: Wait, file: wait.sh, inputs: [{name: gate, required: true}]}\n',
}

interface SocketLog {
  messages: any[]
  closed: Promise<{ code: number; reason: string }>
}

/** Opens the job WebSocket and records every message until it closes. */
function openSocket(url: string, headers: Record<string, string> = {}): Promise<SocketLog> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers })
    const messages: any[] = []
    const closed = new Promise<{ code: number; reason: string }>((done) => socket.on('close', (code, reason) => done({ code, reason: reason.toString() })))
    socket.on('message', (data) => messages.push(JSON.parse(data.toString())))
    socket.on('open', () => resolve({ messages, closed }))
    socket.on('error', reject)
  })
}

/** Reads an SSE answer to its end, as `{event, data}` frames. */
async function readEvents(response: Response, onFrame?: (frame: { event: string; data: string }) => void): Promise<{ event: string; data: string }[]> {
  const frames: { event: string; data: string }[] = []
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const lines = block.split('\n').filter((line) => !line.startsWith(':'))
      if (lines.length === 0) continue
      const frame = {
        event:
          lines
            .find((line) => line.startsWith('event:'))
            ?.slice(6)
            .trim() ?? 'message',
        data: lines
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).replace(/^ /, ''))
          .join('\n'),
      }
      frames.push(frame)
      onFrame?.(frame)
    }
  }
  return frames
}

describe('cloudlab jobs: list, detail, cancel, scoping and live output', () => {
  let lab: CloudlabTest
  let gates: string
  const gate = (name: string) => join(gates, name)

  const waitForLine = async (jobId: string, line: string) => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const job = (await lab.call('GET', `/api/jobs/${jobId}`)).body
      if (job.output.includes(line)) return job
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    throw new Error(`job ${jobId} never printed ${line}`)
  }

  beforeAll(async () => {
    const servicesDir = tempDir('jobs')
    writeServices(servicesDir, services)
    gates = tempDir('gates')
    lab = await startCloudlab({ servicesDir, withOrchestrator: true })
  })
  afterAll(async () => {
    await lab?.close()
    rmSync(gates, { recursive: true, force: true })
  })

  it('lists jobs newest first, filtered by service and user, with who started them', async () => {
    const first = (await lab.call('POST', '/api/services/hello/deploy', { token: lab.tokens.deployer })).body.job_id
    const second = (await lab.call('POST', '/api/services/other/deploy', { token: lab.tokens.deployer2 })).body.job_id
    const third = (await lab.call('POST', '/api/services/hello/deploy')).body.job_id
    for (const id of [first, second, third]) await lab.finished(id)

    const all = (await lab.call('GET', '/api/jobs', { token: lab.tokens.reader })).body.jobs
    expect(all.map((job: any) => job.id).slice(0, 3)).toEqual([third, second, first])
    expect(all[0]).toMatchObject({
      service: 'hello',
      action: 'deploy',
      status: 'completed',
      username: 'admin',
      started_by: 'admin',
      user_id: lab.userIds.admin,
    })
    expect(all[0].output).toContain('hello deployed')

    const hello = (await lab.call('GET', '/api/jobs?service=hello')).body.jobs
    expect(hello.map((job: any) => job.id)).toEqual([third, first])
    const byUser = (await lab.call('GET', `/api/jobs?user_id=${lab.userIds.deployer2}`)).body.jobs
    expect(byUser.map((job: any) => job.id)).toEqual([second])
    expect((await lab.call('GET', '/api/jobs?username=deployer')).body.jobs.map((job: any) => job.id)).toEqual([first])
    expect((await lab.call('GET', '/api/jobs?limit=1')).body.jobs).toHaveLength(1)
  })

  it('scopes jobs: view_own sees its own, view_all everything, neither nothing', async () => {
    const mine = (await lab.call('GET', '/api/jobs', { token: lab.tokens.deployer })).body.jobs
    expect(mine.length).toBeGreaterThan(0)
    expect(mine.every((job: any) => job.username === 'deployer')).toBe(true)
    expect((await lab.call('GET', `/api/jobs?user_id=${lab.userIds.admin}`, { token: lab.tokens.deployer })).body.jobs).toEqual([])
    expect(await lab.call('GET', '/api/jobs', { token: lab.tokens.outsider })).toMatchObject({ status: 200, body: { jobs: [] } })

    const adminJob = (await lab.call('GET', '/api/jobs?username=admin')).body.jobs[0]
    expect((await lab.call('GET', `/api/jobs/${adminJob.id}`, { token: lab.tokens.reader })).status).toBe(200)
    expectDetail(await lab.call('GET', `/api/jobs/${adminJob.id}`, { token: lab.tokens.deployer }), 403, 'Permission denied')
    expectDetail(await lab.call('GET', `/api/jobs/${adminJob.id}`, { token: lab.tokens.outsider }), 403, 'Permission denied')
    expect((await lab.call('GET', `/api/jobs/${mine[0].id}`, { token: lab.tokens.deployer })).body.id).toBe(mine[0].id)
  })

  it('answers bad job requests in the FastAPI shape', async () => {
    expectDetail(await lab.call('GET', '/api/jobs/deadbeef'), 404, 'Job not found')
    expect((await lab.call('GET', '/api/jobs?limit=0')).status).toBe(422)
    expect((await lab.call('GET', '/api/jobs?limit=many')).status).toBe(422)
    expectDetail(await lab.call('GET', `/api/jobs/${'x'.repeat(65)}`), 422)
    expectDetail(await lab.call('GET', '/api/jobs', { token: 'not-a-token' }), 401)
  })

  it("shows a cloudlab job in the orchestrator's task list", async () => {
    const id = (await lab.call('POST', '/api/services/hello/deploy')).body.job_id
    await lab.finished(id)
    const engineJob = await lab.record(id)
    expect(engineJob).toMatchObject({ provider: 'cloudlab', action: 'service.run', status: 'completed' })
    const tasks = await fetch(`${lab.server.url('orchestrator')}/tasks`, { headers: { authorization: `Bearer ${lab.tokens.admin}` } })
    const listed = ((await tasks.json()) as { data: { id: string; status: string }[] }).data.find((task) => task.id === engineJob.id)
    expect(listed?.status).toBe('Completed')
  })

  it('streams over the WebSocket: output so far to a late client, live lines, the final status, close', async () => {
    const gateFile = gate('ws')
    const id = (await lab.call('POST', '/api/services/gate/run', { token: lab.tokens.deployer, body: { script: 'wait', inputs: { gate: gateFile } } })).body
      .job_id
    await waitForLine(id, 'first')
    const socket = await openSocket(`${lab.base.replace('http', 'ws')}/api/jobs/ws/${id}?token=${lab.tokens.deployer}`)
    for (let attempt = 0; attempt < 200 && !socket.messages.some((message) => message.data === 'first'); attempt++)
      await new Promise((resolve) => setTimeout(resolve, 10))
    expect(socket.messages.some((message) => message.data === 'second')).toBe(false)
    writeFileSync(gateFile, '')
    const closed = await socket.closed
    expect(closed.code).toBe(1000)
    expect(socket.messages[0]).toEqual({ type: 'status', status: 'running' })
    expect(socket.messages.filter((message) => message.type === 'output').map((message) => message.data)).toEqual([
      '--- Running wait for gate ---',
      expect.stringMatching(/^\$ bash .*wait\.sh$/),
      'first',
      'second',
      'third',
    ])
    expect(socket.messages.at(-1)).toEqual({ type: 'done', status: 'completed' })
  })

  it('streams as SSE: output so far, live lines, then event done with the status', async () => {
    const gateFile = gate('sse')
    const id = (await lab.call('POST', '/api/services/gate/run', { body: { script: 'wait', inputs: { gate: gateFile } } })).body.job_id
    await waitForLine(id, 'first')
    const response = await fetch(`${lab.base}/api/jobs/${id}/stream`, { headers: { authorization: `Bearer ${lab.tokens.reader}` } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const frames = await readEvents(response, (frame) => {
      if (frame.data === 'first') writeFileSync(gateFile, '')
    })
    expect(frames.map((frame) => [frame.event, frame.data])).toEqual([
      ['message', '--- Running wait for gate ---'],
      ['message', expect.stringMatching(/^\$ bash .*wait\.sh$/)],
      ['message', 'first'],
      ['message', 'second'],
      ['message', 'third'],
      ['done', 'completed'],
    ])
  })

  it('replays a finished job to a late client at once, on both streams', async () => {
    const id = (await lab.call('POST', '/api/services/hello/deploy', { token: lab.tokens.deployer })).body.job_id
    await lab.finished(id)
    const socket = await openSocket(`${lab.base.replace('http', 'ws')}/api/jobs/ws/${id}`, { authorization: `Bearer ${lab.tokens.deployer}` })
    expect((await socket.closed).code).toBe(1000)
    expect(socket.messages.map((message) => message.data ?? message.status)).toEqual([
      'completed',
      '--- Running deploy.sh for hello ---',
      expect.stringMatching(/^\$ bash/),
      'hello deployed',
      'completed',
    ])
    const frames = await readEvents(await fetch(`${lab.base}/api/jobs/${id}/stream`, { headers: { authorization: `Bearer ${lab.tokens.deployer}` } }))
    expect(frames.at(-1)).toEqual({ event: 'done', data: 'completed' })
    expect(frames).toHaveLength(4)
  })

  it('refuses streams it must not give', async () => {
    const adminJob = (await lab.call('POST', '/api/services/hello/deploy')).body.job_id
    await lab.finished(adminJob)
    const ws = `${lab.base.replace('http', 'ws')}/api/jobs/ws`

    const unknown = await openSocket(`${ws}/deadbeef?token=${lab.tokens.admin}`)
    expect(await unknown.closed).toEqual({ code: 1008, reason: 'Job not found' })
    expect(unknown.messages).toEqual([{ type: 'error', message: 'Job not found' }])
    const foreign = await openSocket(`${ws}/${adminJob}?token=${lab.tokens.deployer}`)
    expect(await foreign.closed).toEqual({ code: 1008, reason: 'Permission denied' })
    await expect(openSocket(`${ws}/${adminJob}`)).rejects.toThrow(/401/)
    await expect(openSocket(`${ws}/${adminJob}?token=forged`)).rejects.toThrow(/401/)

    const missing = await fetch(`${lab.base}/api/jobs/deadbeef/stream`, { headers: { authorization: `Bearer ${lab.tokens.admin}` } })
    expect(missing.status).toBe(200)
    expect(await readEvents(missing)).toEqual([{ event: 'error', data: 'Job not found' }])
    expectDetail(await lab.call('GET', `/api/jobs/${adminJob}/stream`, { token: lab.tokens.deployer }), 403, 'Permission denied')
    expectDetail(await lab.call('GET', `/api/jobs/${adminJob}/stream`, { token: lab.tokens.outsider }), 403, 'Permission denied')
    expectDetail(await lab.call('GET', `/api/jobs/${adminJob}/stream`, { token: '' }), 401)
  })

  it('cancels a running job, which ends failed; refuses without jobs.cancel and for finished jobs', async () => {
    const id = (await lab.call('POST', '/api/services/gate/run', { token: lab.tokens.deployer, body: { script: 'wait', inputs: { gate: gate('never') } } }))
      .body.job_id
    await waitForLine(id, 'first')
    expectDetail(await lab.call('DELETE', `/api/jobs/${id}`, { token: lab.tokens.deployer }), 403, /^Permission denied: jobs\.cancel\b/)
    const cancelled = await lab.call('DELETE', `/api/jobs/${id}`)
    expect(cancelled.status).toBe(200)
    expect(cancelled.body).toMatchObject({ id, status: 'failed' })
    expect((await lab.record(id)).status).toBe('cancelled')
    expectDetail(await lab.call('DELETE', `/api/jobs/${id}`), 400, 'Job is not running')
    expectDetail(await lab.call('DELETE', '/api/jobs/deadbeef'), 404, 'Job not found')
  })
})

describe('cloudlab jobs: surviving a restart on fs storage', () => {
  it('keeps finished jobs with their output, and ends the one the stop cut short failed', async () => {
    const dataDir = tempDir('data')
    const servicesDir = tempDir('restart')
    writeServices(servicesDir, services)
    const first = await startCloudlab({ dataDir, servicesDir })
    let second: CloudlabTest | undefined
    try {
      const done = (await first.call('POST', '/api/services/hello/deploy', { token: first.tokens.deployer })).body.job_id
      await first.finished(done)
      const running = (await first.call('POST', '/api/services/gate/run', { body: { script: 'wait', inputs: { gate: join(dataDir, 'never') } } })).body.job_id
      for (let attempt = 0; attempt < 200 && (await first.record(running)).status !== 'running'; attempt++)
        await new Promise((resolve) => setTimeout(resolve, 25))
      await first.stop()

      second = await startCloudlab({ dataDir, servicesDir })
      const kept = await second.call('GET', `/api/jobs/${done}`, { token: second.tokens.deployer })
      expect(kept.status).toBe(200)
      expect(kept.body).toMatchObject({ id: done, service: 'hello', status: 'completed', username: 'deployer' })
      expect(kept.body.output).toContain('hello deployed')
      const ended = await second.call('GET', `/api/jobs/${running}`)
      expect(ended.body.status).toBe('failed')
      expect(ended.body.output.at(-1)).toMatch(/^\[ERROR: /)
      expect((await second.call('GET', '/api/jobs')).body.jobs.map((job: any) => job.id)).toEqual([running, done])
    } finally {
      await first.close()
      await second?.close()
      rmSync(dataDir, { recursive: true, force: true })
      rmSync(servicesDir, { recursive: true, force: true })
    }
  })

  it('runs a job queued before the restart after it, when the provider is an engine plugin', async () => {
    const dataDir = tempDir('queued')
    const servicesDir = tempDir('queued-services')
    writeServices(servicesDir, services)
    const first = await startCloudlab({ dataDir, servicesDir, jobsPlugin: true })
    let second: CloudlabTest | undefined
    try {
      const blocking = (await first.call('POST', '/api/services/gate/run', { body: { script: 'wait', inputs: { gate: join(dataDir, 'never') } } })).body.job_id
      for (let attempt = 0; attempt < 200 && (await first.record(blocking)).status !== 'running'; attempt++)
        await new Promise((resolve) => setTimeout(resolve, 25))
      const queued = (await first.call('POST', '/api/services/hello/deploy', { token: first.tokens.deployer })).body.job_id
      expect((await first.record(queued)).status).toBe('pending')
      expect((await first.call('GET', `/api/jobs/${queued}`)).body.status).toBe('running')
      await first.stop()

      second = await startCloudlab({ dataDir, servicesDir, jobsPlugin: true })
      const ran = await second.finished(queued)
      expect(ran).toMatchObject({ status: 'completed', username: 'deployer' })
      expect(ran.output).toContain('hello deployed')
      expect((await second.call('GET', `/api/jobs/${blocking}`)).body.status).toBe('failed')
    } finally {
      await first.close()
      await second?.close()
      rmSync(dataDir, { recursive: true, force: true })
      rmSync(servicesDir, { recursive: true, force: true })
    }
  })
})
