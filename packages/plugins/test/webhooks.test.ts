import { createHmac } from 'node:crypto'
import type { EngineEvents } from '@provisio/engine'
import { describe, expect, it } from 'vitest'
import { createStorage } from 'unstorage'
import { FAILED_DELIVERIES_PREFIX, PENDING_DELIVERIES_PREFIX, signedPart, verifyWebhookSignature, webhooks, type FailedDelivery } from '../src'
import { closedPort, runJob, startEngine, startReceiver, waitFor } from './helpers'

const secret = 'webhook-secret'
const fastRetry = { attempts: 3, backoffMs: 20 }

describe('webhooks', () => {
  it('posts a signed task.completed payload that a receiver can verify', async () => {
    const receiver = await startReceiver()
    const engine = await startEngine({
      plugins: [webhooks({ endpoints: [{ url: `${receiver.url}/hook`, events: ['task.completed'], secret, headers: { authorization: 'Bearer t0ken' } }] })],
    })
    const job = await runJob(engine, 'echo', { lines: ['creating web-01', 'Successfully created 3 servers'] })
    await engine.stop()

    expect(receiver.requests).toHaveLength(1)
    const [request] = receiver.requests
    expect(request).toMatchObject({ method: 'POST', path: '/hook' })
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'x-provisio-event': 'task.completed',
      authorization: 'Bearer t0ken',
    })
    const payload = JSON.parse(request.body)
    expect(Object.keys(payload)).toEqual(['event', 'timestamp', 'data', 'signature'])
    expect(payload).toMatchObject({
      event: 'task.completed',
      data: {
        task_id: job.id,
        status: 'completed',
        output: 'creating web-01\nSuccessfully created 3 servers',
        error: null,
        provider: 'test',
        action: 'echo',
        attempt: 1,
      },
    })
    expect(new Date(payload.timestamp).toISOString()).toBe(payload.timestamp)

    // The documented recipe: HMAC-SHA256 of the body without its trailing signature member.
    const { signature, ...unsigned } = payload
    const expected = `sha256=${createHmac('sha256', secret).update(JSON.stringify(unsigned)).digest('hex')}`
    expect(signature).toBe(expected)
    expect(request.headers['x-provisio-signature']).toBe(expected)
    expect(signedPart(request.body)).toBe(JSON.stringify(unsigned))
    expect(verifyWebhookSignature(request.body, secret)).toBe(true)
    expect(verifyWebhookSignature(request.body, secret, request.headers['x-provisio-signature'] as string)).toBe(true)
    expect(verifyWebhookSignature(request.body, 'another-secret')).toBe(false)
    expect(verifyWebhookSignature(request.body.replace('web-01', 'web-02'), secret)).toBe(false)
  })

  it('sends no signature without a secret', async () => {
    const receiver = await startReceiver()
    const engine = await startEngine({ plugins: [webhooks({ endpoints: [{ url: receiver.url }] })] })
    await runJob(engine, 'echo', { result: { ip: '192.0.2.10' } })
    await engine.stop()

    expect(receiver.requests).toHaveLength(1)
    expect(receiver.requests[0].headers['x-provisio-signature']).toBeUndefined()
    const payload = JSON.parse(receiver.requests[0].body)
    expect(payload.signature).toBeUndefined()
    // Nothing was logged, so the result stands in for the output.
    expect(payload.data.output).toBe('{"ip":"192.0.2.10"}')
    expect(verifyWebhookSignature(receiver.requests[0].body, secret)).toBe(false)
  })

  it('sends task.failed with the error and the last output lines', async () => {
    const receiver = await startReceiver()
    const engine = await startEngine({ plugins: [webhooks({ endpoints: [{ url: receiver.url, events: ['task.failed'], secret }], outputLines: 2 })] })
    const job = await runJob(engine, 'fail', { message: 'quota exceeded', code: 'quota', lines: ['one', 'two', 'three'] })
    await engine.stop()

    expect(receiver.requests).toHaveLength(1)
    expect(JSON.parse(receiver.requests[0].body)).toMatchObject({
      event: 'task.failed',
      data: { task_id: job.id, status: 'failed', output: 'two\nthree', error: 'quota exceeded', error_code: 'quota' },
    })
  })

  it('retries a delivery answered with a 500, with the same delivery id', async () => {
    const receiver = await startReceiver((_request, n) => (n === 1 ? 500 : 200))
    const engine = await startEngine({ plugins: [webhooks({ endpoints: [{ url: receiver.url, secret }], retry: fastRetry })] })
    await runJob(engine, 'echo')
    await waitFor(() => receiver.requests.length === 2)
    await engine.stop()

    expect(receiver.requests).toHaveLength(2)
    const [first, second] = receiver.requests
    expect(second.body).toBe(first.body)
    expect(second.headers['x-provisio-delivery']).toBe(first.headers['x-provisio-delivery'])
    expect(verifyWebhookSignature(second.body, secret)).toBe(true)
    expect(await engine.storage.getKeys(FAILED_DELIVERIES_PREFIX)).toEqual([])
  })

  it('sends each endpoint only the events it subscribed to', async () => {
    const failures = await startReceiver()
    const completions = await startReceiver()
    const engine = await startEngine({
      plugins: [
        webhooks({
          endpoints: [
            { url: failures.url, events: ['task.failed'] },
            { url: completions.url, events: ['task.completed', 'batch.completed'] },
          ],
        }),
      ],
    })
    const completed = await runJob(engine, 'echo')
    const failed = await runJob(engine, 'fail')
    const cancelled = await engine.jobs.submit({ provider: 'test', action: 'hold', input: {} })
    await engine.jobs.cancel(cancelled.id)
    // stop() waits for the queued deliveries, so whatever was due has arrived.
    await engine.stop()

    const sent = (receiver: { requests: Array<{ body: string }> }) =>
      receiver.requests.map((request) => JSON.parse(request.body)).map(({ event, data }) => `${event} ${data.task_id}`)
    expect(sent(failures)).toEqual([`task.failed ${failed.id}`])
    expect(sent(completions)).toEqual([`task.completed ${completed.id}`])
  })

  it('maps workflow status changes to batch events', async () => {
    const receiver = await startReceiver()
    const engine = await startEngine({
      plugins: [webhooks({ endpoints: [{ url: receiver.url, events: ['batch.started', 'batch.completed', 'batch.failed'] }] })],
    })
    const workflow = {
      id: 'wf-1',
      name: 'multi_cloud_deployment',
      version: '1.0.0',
      status: 'running',
      rollbackEnabled: false,
      labels: {},
      createdAt: new Date().toISOString(),
      attempt: 1,
      cancelRequested: false,
      progress: 0,
    } as const
    const emit = (event: Parameters<EngineEvents['workflow:status']>[0]) => engine.emit('workflow:status', event)
    emit({ id: 'wf-1', status: 'pending', previous: null, workflow: { ...workflow, status: 'pending' } })
    emit({ id: 'wf-1', status: 'running', previous: 'pending', workflow })
    emit({ id: 'wf-1', status: 'completed', previous: 'running', workflow: { ...workflow, status: 'completed', progress: 100, durationMs: 1500 } })
    await engine.stop()

    const payloads = receiver.requests.map((request) => JSON.parse(request.body))
    expect(payloads.map((payload) => payload.event).sort()).toEqual(['batch.completed', 'batch.started'])
    expect(payloads.find((payload) => payload.event === 'batch.completed').data).toEqual({
      batch_id: 'wf-1',
      name: 'multi_cloud_deployment',
      version: '1.0.0',
      status: 'completed',
      previous: 'running',
      progress: 100,
      error: null,
      duration_ms: 1500,
      labels: {},
    })
  })

  it('keeps a delivery that failed every attempt in storage and reports it', async () => {
    const receiver = await startReceiver(() => 503)
    const errors: Array<{ error: Error; context: string }> = []
    const engine = await startEngine({ plugins: [webhooks({ endpoints: [{ url: receiver.url, secret }], retry: fastRetry })] })
    engine.on('engine:error', (event) => errors.push(event))
    await runJob(engine, 'echo')
    await waitFor(async () => (await engine.storage.getKeys(FAILED_DELIVERIES_PREFIX)).length === 1)
    await engine.stop()

    expect(receiver.requests).toHaveLength(3)
    const [key] = await engine.storage.getKeys(FAILED_DELIVERIES_PREFIX)
    const failed = (await engine.storage.getItem(key)) as FailedDelivery
    expect(key).toBe(`${FAILED_DELIVERIES_PREFIX}:${failed.id}`)
    expect(failed).toMatchObject({ url: receiver.url, event: 'task.completed', attempts: 3, lastStatus: 503, lastError: 'HTTP 503 Service Unavailable' })
    expect(failed.id).toBe(receiver.requests[0].headers['x-provisio-delivery'])
    expect(failed.body).toBe(receiver.requests[2].body)
    expect(errors).toHaveLength(1)
    expect(errors[0].error.message).toMatch(/task\.completed to .* failed after 3 attempt\(s\): HTTP 503/)
  })

  it('keeps deliveries to an unreachable host and to a receiver that never answers', async () => {
    const silent = await startReceiver(() => 'hold')
    const unreachable = `http://127.0.0.1:${await closedPort()}/hook`
    const engine = await startEngine({
      plugins: [webhooks({ endpoints: [{ url: unreachable }, { url: silent.url }], retry: { attempts: 1 }, timeoutMs: 200 })],
    })
    await runJob(engine, 'echo')
    await engine.stop()

    const failed = await Promise.all((await engine.storage.getKeys(FAILED_DELIVERIES_PREFIX)).map((key) => engine.storage.getItem<FailedDelivery>(key)))
    const byUrl = Object.fromEntries(failed.map((delivery) => [delivery!.url, delivery!]))
    expect(byUrl[unreachable].lastError).toMatch(/ECONNREFUSED/)
    expect(byUrl[silent.url]).toMatchObject({ attempts: 1, lastError: 'no answer within 200 ms' })
    expect(byUrl[silent.url].lastStatus).toBeUndefined()
  })

  it('does not hold jobs back while a receiver is slow', async () => {
    const receiver = await startReceiver((_request, n) => (n === 1 ? 'hold' : 204))
    const engine = await startEngine({ plugins: [webhooks({ endpoints: [{ url: receiver.url }] })] })
    const first = await runJob(engine, 'echo')
    await waitFor(() => receiver.requests.length === 1)
    // The first delivery is still unanswered; the next job runs and ends all the same.
    const second = await runJob(engine, 'echo')
    expect([first.status, second.status]).toEqual(['completed', 'completed'])
    receiver.release()
    await engine.stop()
    expect(receiver.requests.map((request) => JSON.parse(request.body).data.task_id)).toEqual([first.id, second.id])
  })

  it('keeps a delivery waiting to be retried when the engine stops, and sends it after the next start', async () => {
    let failing = true
    const receiver = await startReceiver(() => (failing ? 500 : 200))
    const storage = createStorage()
    const options = { endpoints: [{ url: receiver.url, secret: 's3cret' }], retry: { attempts: 5, backoffMs: 60_000 } }
    const engine = await startEngine({ storage, plugins: [webhooks(options)] })
    const job = await runJob(engine, 'echo')
    await waitFor(() => receiver.requests.length === 1)
    await engine.stop()

    expect(await storage.getKeys(FAILED_DELIVERIES_PREFIX)).toEqual([])
    const [key] = await storage.getKeys(PENDING_DELIVERIES_PREFIX)
    expect(await storage.getItem(key)).toMatchObject({ attempts: 1 })

    failing = false
    const restarted = await startEngine({ storage, plugins: [webhooks(options)] })
    await waitFor(() => receiver.requests.length === 2)
    const [first, second] = receiver.requests
    expect(second.headers['x-provisio-delivery']).toBe(first.headers['x-provisio-delivery'])
    expect(JSON.parse(second.body).data.task_id).toBe(job.id)
    expect(verifyWebhookSignature(second.body, 's3cret', String(second.headers['x-provisio-signature']))).toBe(true)
    await waitFor(async () => (await storage.getKeys(PENDING_DELIVERIES_PREFIX)).length === 0)
    await restarted.stop()
  })

  it('rejects an invalid url or an unknown event name', () => {
    expect(() => webhooks({ endpoints: [{ url: 'not a url' }] })).toThrow(/invalid endpoint url/)
    expect(() => webhooks({ endpoints: [{ url: 'http://127.0.0.1/', events: ['task.done' as never] }] })).toThrow(/unknown event\(s\) task\.done/)
  })
})
