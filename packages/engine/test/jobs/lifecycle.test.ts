import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { NotFoundError, ValidationError, type JobStatus } from '../../src'
import { isAlive, startEngine, tempDir, waitFor } from '../helpers'

/** Records every status event; the job may start before `submit` returns, so filter by id afterwards. */
function recordStatuses(engine: Awaited<ReturnType<typeof startEngine>>): (id: string) => JobStatus[] {
  const seen: Array<{ id: string; status: JobStatus }> = []
  engine.on('job:status', (event) => seen.push(event))
  return (id) => seen.filter((event) => event.id === id).map((event) => event.status)
}

describe('jobs: lifecycle', () => {
  it('runs a job pending -> running -> completed and keeps its result and output', async () => {
    const engine = await startEngine()
    const statuses = recordStatuses(engine)
    const job = await engine.jobs.submit({ provider: 'test', action: 'echo', input: { lines: ['one', 'two'] }, labels: { team: 'infra' } })
    expect(job.status).toBe('pending')
    const done = await engine.jobs.wait(job.id)
    expect(done).toMatchObject({ status: 'completed', attempt: 1, result: { echoed: 2 }, outputLines: 2, labels: { team: 'infra' }, mode: 'run' })
    expect(Date.parse(done.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(done.startedAt!))
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(Date.parse(done.createdAt))
    expect(statuses(job.id)).toEqual(['pending', 'running', 'completed'])
    expect(await engine.jobs.get(job.id)).toEqual(done)
    const lines = []
    for await (const line of engine.jobs.output(job.id)) lines.push(line)
    expect(lines).toEqual([
      { seq: 0, line: 'one' },
      { seq: 1, line: 'two' },
    ])
  })

  it('ends failed with the error of the action', async () => {
    const engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'test', action: 'fail', input: { message: 'disk full', code: 'ENOSPC' } })
    const done = await engine.jobs.wait(job.id)
    expect(done.status).toBe('failed')
    expect(done.error).toMatchObject({ message: 'disk full', code: 'ENOSPC' })
  })

  it('keeps the details an error carries', async () => {
    const engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'test', action: 'fail', input: { message: 'host failed', details: { web2: { failed: 1 } } } })
    expect((await engine.jobs.wait(job.id)).error).toMatchObject({ message: 'host failed', details: { web2: { failed: 1 } } })
  })

  it('does not retry unless asked', async () => {
    const engine = await startEngine()
    const done = await engine.jobs.wait((await engine.jobs.submit({ provider: 'test', action: 'flaky', input: { failures: 1 } })).id)
    expect(done).toMatchObject({ status: 'failed', attempt: 1 })
  })

  it('retries with backoff through retrying, then completes', async () => {
    const engine = await startEngine()
    const statuses = recordStatuses(engine)
    const job = await engine.jobs.submit({ provider: 'test', action: 'flaky', input: { failures: 2 }, retry: { attempts: 3, backoffMs: 20, factor: 2 } })
    const done = await engine.jobs.wait(job.id)
    expect(done).toMatchObject({ status: 'completed', attempt: 3, result: { attempt: 3 } })
    expect(statuses(job.id)).toEqual(['pending', 'running', 'retrying', 'pending', 'running', 'retrying', 'pending', 'running', 'completed'])
    const lines = []
    for await (const { line } of engine.jobs.output(job.id)) lines.push(line)
    expect(lines).toEqual(['attempt 1', 'attempt 2', 'attempt 3'])
  })

  it('shows when a backing-off job runs again', async () => {
    const engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'test', action: 'flaky', input: { failures: 1 }, retry: { attempts: 2, backoffMs: 300 } })
    await waitFor(async () => (await engine.jobs.get(job.id))?.status === 'retrying')
    const waiting = await engine.jobs.get(job.id)
    expect(waiting?.waiting).toMatchObject({ reason: 'backoff' })
    expect(Date.parse(waiting!.waiting!.until!)).toBeGreaterThan(Date.now())
    expect((await engine.jobs.wait(job.id)).status).toBe('completed')
  })

  it('fails after the last attempt with the last error', async () => {
    const engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'test', action: 'flaky', input: { failures: 5 }, retry: { attempts: 2, backoffMs: 1 } })
    expect(await engine.jobs.wait(job.id)).toMatchObject({ status: 'failed', attempt: 2, error: { message: 'failure 2' } })
  })

  it('times out: the job fails naming the timeout and its signal is aborted', async () => {
    const engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'test', action: 'sleep', input: { ms: 10_000 }, timeoutMs: 100 })
    const done = await engine.jobs.wait(job.id)
    expect(done.status).toBe('failed')
    expect(done.error).toMatchObject({ code: 'timeout' })
    expect(done.error?.message).toContain('100 ms')
  })

  it('retries a timed-out run when attempts remain', async () => {
    const engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'test', action: 'sleep', input: { ms: 10_000 }, timeoutMs: 50, retry: { attempts: 2, backoffMs: 1 } })
    expect(await engine.jobs.wait(job.id)).toMatchObject({ status: 'failed', attempt: 2, error: { code: 'timeout' } })
  })

  it('cancels a pending job without running it', async () => {
    const engine = await startEngine({ concurrency: 1 })
    const blocker = await engine.jobs.submit({ provider: 'test', action: 'sleep', input: { ms: 300 } })
    const queued = await engine.jobs.submit({ provider: 'test', action: 'echo', input: { lines: ['never'] } })
    const cancelled = await engine.jobs.cancel(queued.id)
    expect(cancelled).toMatchObject({ status: 'cancelled', attempt: 0, outputLines: 0, error: { code: 'cancelled' } })
    expect((await engine.jobs.wait(blocker.id)).status).toBe('completed')
    expect((await engine.jobs.get(queued.id))?.status).toBe('cancelled')
  })

  it('cancels a running child process within 2 s even when it ignores SIGTERM', async () => {
    const engine = await startEngine()
    const pidFile = join(tempDir(), 'pid')
    const job = await engine.jobs.submit({ provider: 'test', action: 'stubborn', input: { pidFile } })
    await waitFor(async () => (await engine.jobs.get(job.id))?.outputLines === 1)
    const pid = Number(readFileSync(pidFile, 'utf8'))
    expect(isAlive(pid)).toBe(true)
    const started = Date.now()
    const cancelled = await engine.jobs.cancel(job.id)
    expect(cancelled.status).toBe('cancelled')
    await waitFor(() => !isAlive(pid), 2000)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('answers cancel of a finished job with its record, unchanged', async () => {
    const engine = await startEngine()
    const job = await engine.jobs.submit({ provider: 'test', action: 'echo', input: {} })
    const done = await engine.jobs.wait(job.id)
    expect(await engine.jobs.cancel(job.id)).toEqual(done)
  })

  it('reports progress and custom events with the job id', async () => {
    const engine = await startEngine()
    const progress: unknown[] = []
    const custom: unknown[] = []
    engine.on('job:progress', (event) => progress.push(event))
    engine.on('job:event', (event) => custom.push(event))
    const job = await engine.jobs.submit({ provider: 'test', action: 'progress', input: {} })
    const done = await engine.jobs.wait(job.id)
    expect(progress).toEqual([{ id: job.id, percent: 50, step: 'halfway' }])
    expect(custom).toEqual([{ id: job.id, type: 'custom', data: { hello: 'world' } }])
    expect(done.progress).toEqual({ percent: 50, step: 'halfway' })
  })

  it('emits job:output events with line numbers', async () => {
    const engine = await startEngine()
    const lines: unknown[] = []
    engine.on('job:output', (event) => lines.push(event))
    const job = await engine.jobs.submit({ provider: 'test', action: 'echo', input: { lines: ['a', 'b\nc'] } })
    await engine.jobs.wait(job.id)
    expect(lines).toEqual([
      { id: job.id, seq: 0, line: 'a' },
      { id: job.id, seq: 1, line: 'b' },
      { id: job.id, seq: 2, line: 'c' },
    ])
  })
})

describe('jobs: validation', () => {
  it('rejects bad input listing every bad field, and stores nothing', async () => {
    const engine = await startEngine()
    const error = await engine.jobs.submit({ provider: 'test', action: 'echo', input: { lines: [1, 'ok', 2], result: undefined } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).issues.map((issue) => issue.path)).toEqual(['input.lines.0', 'input.lines.2'])
    expect(await engine.storage.getKeys('jobs')).toEqual([])
  })

  it('names an unknown provider or action, and stores nothing', async () => {
    const engine = await startEngine()
    await expect(engine.jobs.submit({ provider: 'nope', action: 'run' })).rejects.toThrow(/unknown provider "nope"/)
    await expect(engine.jobs.submit({ provider: 'test', action: 'nope' })).rejects.toThrow(/no action "nope"/)
    expect(await engine.storage.getKeys('jobs')).toEqual([])
  })

  it('refuses work for an unavailable provider with what to do about it, for jobs and workflows', async () => {
    const engine = await startEngine({ unavailableProviders: { vultr: 'set VULTR_API_KEY, or run with --sandbox' } })
    const job = (await engine.jobs.submit({ provider: 'vultr', action: 'instance.create' }).catch((e: unknown) => e)) as ValidationError
    expect(job).toBeInstanceOf(ValidationError)
    expect(job.message).toBe('provider "vultr" is not configured: provider: set VULTR_API_KEY, or run with --sandbox')
    const workflow = (await engine.workflows
      .submit({ name: 'w', operations: [{ id: 'vm', provider: 'vultr', action: 'instance.create' }] })
      .catch((e: unknown) => e)) as ValidationError
    expect(workflow).toBeInstanceOf(ValidationError)
    expect(workflow.issues).toEqual([
      { path: 'operations.0.provider', message: '"vm": provider "vultr" is not configured: set VULTR_API_KEY, or run with --sandbox' },
    ])
    expect(await engine.storage.getKeys('jobs')).toEqual([])
    expect(await engine.storage.getKeys('workflows')).toEqual([])
  })

  it('rejects bad options (timeout, retry, labels)', async () => {
    const engine = await startEngine()
    const error = (await engine.jobs
      .submit({ provider: 'test', action: 'echo', timeoutMs: -1, retry: { attempts: 0 }, labels: { a: 1 as never } })
      .catch((e: unknown) => e)) as ValidationError
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['labels.a', 'retry.attempts', 'timeoutMs'])
    expect(error.issues.find((issue) => issue.path === 'labels.a')?.message).toBe('Invalid input: expected string, received number')
    const notAnObject = (await engine.jobs.submit({ provider: 'test', action: 'echo', labels: ['a'] as never }).catch((e: unknown) => e)) as ValidationError
    expect(notAnObject.issues).toEqual([{ path: 'labels', message: 'Invalid input: expected record, received array' }])
    const emptyName = (await engine.jobs.submit({ provider: 'test', action: 'echo', labels: { '': 'x' } }).catch((e: unknown) => e)) as ValidationError
    expect(emptyName.issues.map((issue) => issue.message)).toEqual(['Label names must not be empty'])
    expect(await engine.storage.getKeys('jobs')).toEqual([])
  })

  it('refuses to undo an action that has no undo', async () => {
    const engine = await startEngine()
    await expect(engine.jobs.submit({ provider: 'test', action: 'echo', undo: { result: {} } })).rejects.toThrow(/has no undo/)
  })

  it('throws NotFoundError for an unknown job id', async () => {
    const engine = await startEngine()
    await expect(engine.jobs.wait('missing')).rejects.toBeInstanceOf(NotFoundError)
    await expect(engine.jobs.cancel('missing')).rejects.toBeInstanceOf(NotFoundError)
    expect(await engine.jobs.get('missing')).toBeUndefined()
  })
})
