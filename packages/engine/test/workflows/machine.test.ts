import { describe, expect, it } from 'vitest'
import { createActor, waitFor } from 'xstate'
import { createWorkflowMachine, workflowStatusOf, type RollbackOutcome, type RunOutcome } from '../../src/machines/workflow'

/** Effects whose outcomes a test settles by hand. */
function manualEffects() {
  const calls: string[] = []
  let finishRun!: (outcome: RunOutcome) => void
  let finishRollback!: (outcome: RollbackOutcome) => void
  const machine = createWorkflowMachine({
    runOperations: (id) => {
      calls.push(`run ${id}`)
      return new Promise((resolve) => (finishRun = resolve))
    },
    rollBack: (id) => {
      calls.push(`rollback ${id}`)
      return new Promise((resolve) => (finishRollback = resolve))
    },
    admittedRuns: () => [],
    executeRun: async (run) => ({ run }),
    settleRun: () => {},
    cancelOperations: (id) => calls.push(`cancel ${id}`),
  })
  return { machine, calls, finishRun: (outcome: RunOutcome) => finishRun(outcome), finishRollback: (outcome: RollbackOutcome) => finishRollback(outcome) }
}

const statusOf = (actor: { getSnapshot: () => { value: unknown } }) => workflowStatusOf(actor.getSnapshot().value as string)

describe('machines: workflow', () => {
  it('should go pending -> running -> completed', async () => {
    const { machine, calls, finishRun } = manualEffects()
    const actor = createActor(machine, { input: { workflowId: 'w1', rollbackEnabled: false } }).start()
    expect(statusOf(actor)).toBe('pending')
    actor.send({ type: 'workflow.start' })
    expect(statusOf(actor)).toBe('running')
    finishRun({ failed: false, cancelled: false, undoable: true })
    await waitFor(actor, (snapshot) => snapshot.status === 'done')
    expect(statusOf(actor)).toBe('completed')
    expect(calls).toEqual(['run w1'])
  })

  it('should roll back a failure only when enabled and something can be undone', async () => {
    for (const [rollbackEnabled, undoable, expected] of [
      [true, true, 'rolling_back'],
      [true, false, 'failed'],
      [false, true, 'failed'],
    ] as const) {
      const { machine, finishRun } = manualEffects()
      const actor = createActor(machine, { input: { workflowId: 'w', rollbackEnabled } }).start()
      actor.send({ type: 'workflow.start' })
      finishRun({ failed: true, cancelled: false, undoable, error: { message: 'boom' } })
      await waitFor(actor, (snapshot) => snapshot.value !== 'running')
      expect(statusOf(actor)).toBe(expected)
      expect(actor.getSnapshot().context.error).toEqual({ message: 'boom' })
    }
  })

  it('should end failed with the undo errors when the rollback could not finish', async () => {
    const { machine, finishRun, finishRollback } = manualEffects()
    const actor = createActor(machine, { input: { workflowId: 'w', rollbackEnabled: true } }).start()
    actor.send({ type: 'workflow.start' })
    finishRun({ failed: true, cancelled: false, undoable: true })
    await waitFor(actor, (snapshot) => snapshot.value === 'rollingBack')
    const error = { message: 'rollback could not undo', undoErrors: [{ operationId: 'a', error: { message: 'no' } }] }
    finishRollback({ success: false, error })
    await waitFor(actor, (snapshot) => snapshot.value === 'failed')
    expect(actor.getSnapshot().context.error).toEqual(error)
  })

  it('should forward one cancel to the running operations, then end cancelled', async () => {
    const { machine, calls, finishRun } = manualEffects()
    const actor = createActor(machine, { input: { workflowId: 'w', rollbackEnabled: false } }).start()
    actor.send({ type: 'workflow.start' })
    actor.send({ type: 'workflow.cancel' })
    actor.send({ type: 'workflow.cancel' })
    expect(calls).toEqual(['run w', 'cancel w'])
    expect(actor.getSnapshot().context.cancelRequested).toBe(true)
    finishRun({ failed: false, cancelled: true, undoable: true })
    await waitFor(actor, (snapshot) => snapshot.value === 'cancelled')
    actor.send({ type: 'workflow.retry' })
    expect(statusOf(actor)).toBe('running')
    expect(actor.getSnapshot().context.cancelRequested).toBe(false)
  })

  it('should restart the operations when restored from a snapshot persisted while running', async () => {
    const first = manualEffects()
    const actor = createActor(first.machine, { input: { workflowId: 'w', rollbackEnabled: false } }).start()
    actor.send({ type: 'workflow.start' })
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()))
    actor.stop()

    const second = manualEffects()
    const restored = createActor(second.machine, { input: { workflowId: 'w', rollbackEnabled: false }, snapshot: persisted }).start()
    expect(statusOf(restored)).toBe('running')
    expect(second.calls).toEqual(['run w'])
    second.finishRun({ failed: false, cancelled: false, undoable: false })
    await waitFor(restored, (snapshot) => snapshot.status === 'done')
  })
})
