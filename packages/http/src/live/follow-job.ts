import { finalJobStatuses, NotFoundError, type Engine, type JobRecord, type JobStatus, type OutputLine } from '@provisio/engine'
import { AsyncQueue, linkedController, nextUnlessAborted } from './queue'
import type { FollowJobOptions, JobStreamMessage } from './types'

type Item = { kind: 'status'; job: JobRecord } | ({ kind: 'line' } & OutputLine) | { kind: 'output-ended' } | { kind: 'failed'; error: unknown }

/**
 * Follows one job: its record as it is now, every output line from line 0 (or `from`) exactly
 * once and in order, its status changes, and last its final record. Works the same for a job that is still
 * queued, one that runs, and one that ended long ago (backlog, then `end`).
 *
 * Lines come from `engine.jobs.output(id, { follow: true })`, status changes from `job:status`
 * events, both through one queue so that they keep the order they happened in. The final status
 * is held back until the output has ended, so `end` always comes after the last line.
 *
 * ```ts
 * for await (const message of followJob(engine, job.id, { signal })) {
 *   if (message.type === 'line') console.log(message.line)
 * }
 * ```
 */
export async function* followJob(engine: Engine, id: string, options: FollowJobOptions = {}): AsyncGenerator<JobStreamMessage> {
  const queue = new AsyncQueue<Item>()
  // Aborted by the caller's signal, and by the end of this generator (a consumer that stops early).
  const following = linkedController(options.signal)
  following.signal.addEventListener('abort', () => queue.end(), { once: true })
  // Subscribed before the record is read, so no change between the two is missed.
  const onStatus = (event: { id: string; job: JobRecord }) => {
    if (event.id === id) queue.push({ kind: 'status', job: event.job })
  }
  engine.on('job:status', onStatus)

  let cursor = Math.max(0, options.from ?? 0)
  const pumpOutput = async () => {
    const lines = engine.jobs.output(id, { from: cursor, follow: true })[Symbol.asyncIterator]()
    try {
      for (;;) {
        const next = await nextUnlessAborted(lines, following.signal)
        if (next === undefined) {
          // Queued behind the pending read: the reader lets go at the job's next line or its end.
          void lines.return?.()
          return
        }
        if (next.done) break
        cursor = next.value.seq + 1
        queue.push({ kind: 'line', ...next.value })
      }
      queue.push({ kind: 'output-ended' })
    } catch (error) {
      queue.push({ kind: 'failed', error })
    }
  }

  try {
    const initial = await engine.jobs.get(id)
    if (!initial) throw new NotFoundError(`[provisio] [http] no job "${id}"`)
    if (following.signal.aborted) return
    yield { type: 'job', job: initial }
    let status: JobStatus = initial.status
    let outputEnded = false
    void pumpOutput()
    for (;;) {
      const next = await queue.next()
      if (next.done) return
      const item = next.value
      switch (item.kind) {
        case 'line':
          yield { type: 'line', seq: item.seq, line: item.line }
          break
        case 'failed':
          throw item.error
        case 'status':
          // A job never leaves a final state: a non-final event seen after one is an older one.
          if (finalJobStatuses.has(status) || item.job.status === status) break
          status = item.job.status
          if (!finalJobStatuses.has(status)) yield { type: 'job', job: item.job }
          if (outputEnded) {
            // The output ended with the job unfinished (the engine stopped, or had not loaded it
            // yet): it resumes from the next line now that the job moves again.
            outputEnded = false
            void pumpOutput()
          }
          break
        case 'output-ended': {
          const record = await engine.jobs.get(id)
          if (record && finalJobStatuses.has(record.status)) {
            yield { type: 'end', job: record }
            return
          }
          outputEnded = true
          break
        }
      }
    }
  } finally {
    engine.off('job:status', onStatus)
    following.abort()
    queue.end()
  }
}
