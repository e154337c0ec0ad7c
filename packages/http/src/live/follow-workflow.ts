import { finalWorkflowStatuses, NotFoundError, type Engine, type EngineEvents } from '@provisio/engine'
import { AsyncQueue, linkedController } from './queue'
import type { FollowOptions, WorkflowStreamMessage } from './types'

type Payload<E extends keyof EngineEvents> = Parameters<EngineEvents[E]>[0]

/**
 * Follows one workflow: its record as it is now, then its status changes, operation changes and
 * progress as the engine reports them, and last its final record (`end`). A workflow that
 * already ended gives its record and `end` at once.
 *
 * ```ts
 * for await (const message of followWorkflow(engine, workflow.id, { signal })) {
 *   if (message.type === 'operation') console.log(message.operationId, message.status)
 * }
 * ```
 */
export async function* followWorkflow(engine: Engine, id: string, options: FollowOptions = {}): AsyncGenerator<WorkflowStreamMessage> {
  const queue = new AsyncQueue<WorkflowStreamMessage>()
  const following = linkedController(options.signal)
  following.signal.addEventListener('abort', () => queue.end(), { once: true })
  // Subscribed before the record is read, so no change between the two is missed.
  const onStatus = (event: Payload<'workflow:status'>) => {
    if (event.id === id) queue.push({ type: 'status', status: event.status, previous: event.previous, workflow: event.workflow })
  }
  const onOperation = (event: Payload<'workflow:operation'>) => {
    if (event.id === id)
      queue.push({
        type: 'operation',
        operationId: event.operationId,
        status: event.status,
        previous: event.previous,
        operation: structuredClone(event.operation),
      })
  }
  const onProgress = (event: Payload<'workflow:progress'>) => {
    if (event.id !== id) return
    const { progress, completedSteps, totalSteps, currentStep } = event
    queue.push({ type: 'progress', progress, completedSteps, totalSteps, ...(currentStep === undefined ? {} : { currentStep }) })
  }
  engine.on('workflow:status', onStatus)
  engine.on('workflow:operation', onOperation)
  engine.on('workflow:progress', onProgress)

  try {
    const initial = await engine.workflows.get(id)
    if (!initial) throw new NotFoundError(`[provisio] [http] no workflow "${id}"`)
    if (following.signal.aborted) return
    yield { type: 'workflow', workflow: initial }
    if (finalWorkflowStatuses.has(initial.status)) {
      yield { type: 'end', workflow: initial }
      return
    }
    let status = initial.status
    for (;;) {
      const next = await queue.next()
      if (next.done) return
      const message = next.value
      if (message.type !== 'status') {
        yield message
        continue
      }
      if (message.status === status) continue
      status = message.status
      if (!finalWorkflowStatuses.has(status)) {
        yield message
        continue
      }
      // The status event follows the persisted transition: the stored record is the final one.
      const final = await engine.workflows.get(id)
      yield { type: 'end', workflow: final ?? { ...message.workflow, operations: initial.operations } }
      return
    }
  } finally {
    engine.off('workflow:status', onStatus)
    engine.off('workflow:operation', onOperation)
    engine.off('workflow:progress', onProgress)
    following.abort()
  }
}
