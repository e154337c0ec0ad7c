import type { EngineEmitter } from '../events'
import type { JobMachineEvent } from '../machines/job'
import type { ActionContext } from '../providers/types'
import { publicRecord, type LiveJob } from './live-job'
import type { OutputLog } from './output'
import type { EngineHooks } from './types'

export interface ActionRunDeps {
  events: EngineEmitter
  hooks: { beforeJob: Set<EngineHooks['beforeJob']> }
  outputOf: (job: LiveJob) => OutputLog
}

/**
 * Runs one attempt of a job's action (its `undo` for an undo job) and says how
 * it ended, as the event the job's machine takes. Never rejects.
 */
export async function runAction(job: LiveJob, attempt: number, deps: ActionRunDeps): Promise<JobMachineEvent> {
  // Created on first use of ctx.signal: most quick actions never look at it.
  let controller: AbortController | undefined
  let abortedWith: { reason: unknown } | undefined
  const signal = () => {
    if (!controller) {
      controller = new AbortController()
      if (abortedWith) controller.abort(abortedWith.reason)
    }
    return controller.signal
  }
  job.abortRun = (reason) => {
    abortedWith = { reason }
    controller?.abort(reason)
  }
  try {
    if (deps.hooks.beforeJob.size) for (const hook of deps.hooks.beforeJob) await hook({ job: publicRecord(job) })
    const ctx = actionContext(job, attempt, signal, deps)
    const result =
      job.record.mode === 'undo'
        ? await job.action.undo!(ctx, job.input as never, job.record.undoOf?.result as never)
        : await job.action.run(ctx, job.input as never)
    return { type: 'job.succeeded', attempt, result: result === undefined ? null : result }
  } catch (error) {
    return { type: 'job.failed', attempt, error }
  }
}

function actionContext(job: LiveJob, attempt: number, signal: () => AbortSignal, { events, outputOf }: ActionRunDeps): ActionContext {
  const id = job.record.id
  return {
    jobId: id,
    attempt,
    config: job.registered.config,
    get signal() {
      return signal()
    },
    storage: job.registered.storage,
    log: (text) => {
      const output = outputOf(job)
      if (output.closed) return
      for (const line of String(text).split(/\r?\n/)) {
        const seq = output.append(line)
        events.emit('job:output', { id, seq, line })
      }
    },
    progress: (percent, step) => {
      const clamped = Math.max(0, Math.min(100, Number(percent) || 0))
      job.record.progress = step === undefined ? { percent: clamped } : { percent: clamped, step }
      events.emit('job:progress', { id, percent: clamped, ...(step === undefined ? {} : { step }) })
    },
    emit: (type, data) => events.emit('job:event', { id, type, data }),
  }
}
