import { describe, expect, it } from 'vitest'
import { watchNotifications, type Notification } from '../src'
import { runJob, startEngine } from './helpers'

describe('watchNotifications', () => {
  it('announces each final job status, with the job output, until unwatched', async () => {
    const engine = await startEngine()
    const seen: Notification[] = []
    const unwatch = watchNotifications(engine, (notification) => seen.push(notification), { outputLines: 1 })

    const completed = await runJob(engine, 'echo', { lines: ['first', 'last'] })
    const held = await engine.jobs.submit({ provider: 'test', action: 'hold', input: {} })
    await engine.jobs.cancel(held.id)
    const retried = await runJob(engine, 'flaky', { failures: 1 }, { retry: { attempts: 2, backoffMs: 1 } })
    unwatch()
    await runJob(engine, 'echo')

    expect(seen.map(({ event, data }) => [event, 'task_id' in data ? data.task_id : data.batch_id])).toEqual([
      ['task.completed', completed.id],
      ['task.cancelled', held.id],
      // A failed attempt that is retried is no end: only the final status is announced.
      ['task.completed', retried.id],
    ])
    expect(seen[0].data).toMatchObject({ output: 'last', error: null, duration_ms: completed.durationMs })
    expect(seen[1].data).toMatchObject({ status: 'cancelled', error_code: 'cancelled', output: null })
    expect(seen[2].data).toMatchObject({ attempt: 2, output: '{"attempt":2}' })
  })
})
