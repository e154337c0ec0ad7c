import WebSocket from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { macos, refusedUpgrade, startTartvm, watchTask, type TartvmServer } from './helpers'

const tasksOf = (frames: string[]) => frames.filter((frame) => frame !== '').map((frame) => JSON.parse(frame))

describe('tartvm task WebSocket /ws/tasks/{id}?token=', () => {
  let app: TartvmServer | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  it('a late subscriber gets the task as it is, every change, keepalives, the final task, then close 1000', async () => {
    app = await startTartvm({ fake: { pullDurationMs: 1_500 }, surface: { keepaliveMs: 100 } })
    const image = 'ghcr.io/cirruslabs/macos-tahoe-base:latest'
    const { body: task } = await app.api('POST', '/api/vms/pull', { body: { oci_url: image } })
    // Join once the pull has printed part of its progress.
    await expect.poll(async () => (await app!.api('GET', `/api/tasks/${task.id}`)).body.logs.length, { timeout: 5_000 }).toBeGreaterThan(4)
    const { frames, code } = await watchTask(app.base, task.id, app.token)
    expect(code).toBe(1000)
    const updates = tasksOf(frames)
    expect(updates[0]).toMatchObject({ id: task.id, status: 'running', action: 'pull_vm' })
    expect(updates[0].logs.length).toBeGreaterThan(4)
    const final = updates.at(-1)
    expect(final).toMatchObject({ id: task.id, status: 'completed', exit_code: 0, result: { message: `VM image pulled successfully: ${image}` } })
    expect(final).toEqual((await app.api('GET', `/api/tasks/${task.id}`)).body)
    // Every update is the whole task; logs only grow, each line once, none missing at the end.
    for (let index = 1; index < updates.length; index++) {
      expect(updates[index].logs.slice(0, updates[index - 1].logs.length)).toEqual(updates[index - 1].logs)
    }
    expect(final.logs).toEqual([
      `$ tart pull ${image}`,
      'pulling manifest...',
      'pulling disk (22.0 GB compressed)...',
      ...Array.from({ length: 11 }, (_, n) => `${n * 10}%`),
    ])
    expect(updates.length).toBeGreaterThan(3)
    // The pull lasts 1.5 s: empty keepalive frames came in between.
    expect(frames.filter((frame) => frame === '').length).toBeGreaterThan(2)
    expect(updates.filter((update) => update.status === 'completed')).toHaveLength(1)
  })

  it('a subscriber of a finished task (a start of an OCI-named VM) gets its final JSON and a 1000 close', async () => {
    app = await startTartvm()
    const { body: task } = await app.api('POST', `/api/vms/${macos}/start`, { body: {} })
    const done = await app.waitTask(task.id)
    const { frames, code } = await watchTask(app.base, task.id, app.token)
    expect(code).toBe(1000)
    expect(tasksOf(frames)).toEqual([done])
  })

  it('follows a start from pending to completed', async () => {
    app = await startTartvm({ fake: { ipAfterMs: 800 } })
    const { body: task } = await app.api('POST', '/api/vms/ubuntu/start', { body: {} })
    const { frames, code } = await watchTask(app.base, task.id, app.token)
    expect(code).toBe(1000)
    const statuses = tasksOf(frames).map((update) => update.status)
    expect(statuses[0]).toMatch(/pending|running/)
    expect(statuses).toContain('running')
    expect(statuses.at(-1)).toBe('completed')
    expect(tasksOf(frames).at(-1).result.ip_address).toMatch(/^192\.168\.64\./)
  })

  it('a missing or wrong token, or an unknown task, is refused before accept: HTTP 403, as the real server (close 1008 before accept)', async () => {
    app = await startTartvm()
    const { body: task } = await app.api('POST', '/api/vms/ubuntu/delete', { body: {} })
    for (const token of [undefined, '', 'wrong']) {
      const refusal = await refusedUpgrade(app.base, task.id, token)
      expect(refusal, `token ${token}`).toMatchObject({ opened: false, status: 403 })
      expect(JSON.parse(refusal.body)).toEqual({ detail: 'Invalid or missing token' })
    }
    const unknown = await refusedUpgrade(app.base, 'no-such-task', app.token)
    expect(unknown).toMatchObject({ opened: false, status: 403 })
    expect(JSON.parse(unknown.body)).toEqual({ detail: 'Task not found' })
    // The same task with the right token is accepted.
    expect((await watchTask(app.base, task.id, app.token)).code).toBe(1000)
  })

  it('a client that leaves early stops following without disturbing the task', async () => {
    app = await startTartvm({ fake: { pullDurationMs: 1_000 } })
    const { body: task } = await app.api('POST', '/api/vms/pull', { body: { oci_url: 'ghcr.io/cirruslabs/a:1' } })
    const listeners = app.engine.listenerCount('job:status')
    await new Promise<void>((resolve) => {
      const socket = new WebSocket(`${app!.base.replace('http', 'ws')}/ws/tasks/${task.id}?token=${app!.token}`)
      socket.on('message', () => socket.close())
      socket.on('close', () => resolve())
    })
    await expect.poll(() => app!.engine.listenerCount('job:status')).toBe(listeners)
    expect((await app.waitTask(task.id)).status).toBe('completed')
  })
})
