import type { Engine, EngineEventMap, WorkflowRecord } from '@provisio/engine'

/** Create actions announce what they made before waiting on it (`instance.created` `{ id }`): the result their undo needs. */
const createdEvent = /\.created$/

/**
 * Cancels operations so that nothing they made is left behind. The engine's rollback undoes the
 * operations that completed; a create cancelled while it waited for its server has no result to
 * undo, so the resource it announced (`<thing>.created`) is undone with that announcement as
 * the result, by an undo job of the same action.
 */
export function createCancellation(engine: Engine) {
  const announced = new Map<string, unknown>()
  const onEvent = ({ id, type, data }: EngineEventMap['job:event'][0]) => {
    if (createdEvent.test(type) && data !== undefined) announced.set(id, data)
  }
  // Only a cancelled job's announcement is still needed; finished ones are forgotten.
  const onStatus = ({ id, status }: EngineEventMap['job:status'][0]) => {
    if (status === 'completed' || status === 'failed') announced.delete(id)
  }
  engine.on('job:event', onEvent)
  engine.on('job:status', onStatus)

  async function undoAnnounced(workflow: WorkflowRecord): Promise<void> {
    for (const operation of workflow.operations) {
      for (const run of operation.runs) {
        const made = run.jobId === undefined ? undefined : announced.get(run.jobId)
        if (run.status !== 'cancelled' || made === undefined) continue
        const undo = await engine.jobs.submit({
          provider: operation.provider,
          action: operation.action,
          input: operation.input,
          undo: { result: made },
          labels: { cleanup_of: workflow.id, operation: operation.id },
        })
        await engine.jobs.wait(undo.id)
        announced.delete(run.jobId!)
      }
    }
  }

  return {
    /** Cancels a workflow, waits until its rollback is over, then undoes what cancelled creates announced. */
    async cancel(id: string): Promise<WorkflowRecord> {
      await engine.workflows.cancel(id)
      const settled = await engine.workflows.wait(id)
      await undoAnnounced(settled)
      return settled
    },
    dispose() {
      engine.off('job:event', onEvent)
      engine.off('job:status', onStatus)
    },
  }
}

export type Cancellation = ReturnType<typeof createCancellation>
