import { describe, expect, it } from 'vitest'
import { initialJobContext, jobMachine } from '../../src/machines/job'
import { createStepper } from '../../src/machines/stepper'

const start = () => {
  const stepper = createStepper(jobMachine, { pureEvents: ['job.start', 'job.succeeded'] })
  const initial = stepper.share(jobMachine.resolveState({ value: 'pending', context: initialJobContext() }))
  return { stepper, initial }
}

describe('machine stepper', () => {
  it('computes the same snapshots as xstate, and reuses them for equal pure events from a shared snapshot', () => {
    const { stepper, initial } = start()
    const running = stepper.step(initial, { type: 'job.start' }).snapshot
    expect(running.value).toBe('running')
    expect(running.context.attempt).toBe(1)
    expect(stepper.step(initial, { type: 'job.start' }).snapshot).toBe(running)

    const done = stepper.step(running, { type: 'job.succeeded', attempt: 1, result: null }).snapshot
    expect(done.value).toBe('completed')
    expect(done.context.result).toBeNull()
    expect(stepper.step(running, { type: 'job.succeeded', attempt: 1, result: null }).snapshot).toBe(done)
    // Equal by value, not by identity of the event object; a different value is a different transition.
    const other = stepper.step(running, { type: 'job.succeeded', attempt: 1, result: 'x' }).snapshot
    expect(other.context.result).toBe('x')
    expect(stepper.step(running, { type: 'job.succeeded', attempt: 1, result: 'null' }).snapshot.context.result).toBe('null')
  })

  it('never reuses a transition for an event that carries an object', () => {
    const { stepper, initial } = start()
    const running = stepper.step(initial, { type: 'job.start' }).snapshot
    const first = stepper.step(running, { type: 'job.succeeded', attempt: 1, result: { id: 1 } }).snapshot
    const second = stepper.step(running, { type: 'job.succeeded', attempt: 1, result: { id: 2 } }).snapshot
    expect(first.context.result).toEqual({ id: 1 })
    expect(second.context.result).toEqual({ id: 2 })
  })

  it('still answers correctly once its memo of a snapshot is full', () => {
    const { stepper, initial } = start()
    const running = stepper.step(initial, { type: 'job.start' }).snapshot
    for (let n = 0; n < 100; n++) {
      expect(stepper.step(running, { type: 'job.succeeded', attempt: 1, result: `server-${n}` }).snapshot.context.result).toBe(`server-${n}`)
    }
    expect(stepper.step(running, { type: 'job.succeeded', attempt: 1, result: 'server-99' }).snapshot.context.result).toBe('server-99')
  })

  it('does not reuse transitions of events it was not told are pure', () => {
    const { stepper, initial } = start()
    const running = stepper.step(initial, { type: 'job.start' }).snapshot
    const a = stepper.step(running, { type: 'job.cancel', reason: 'a' }).snapshot
    const b = stepper.step(running, { type: 'job.cancel', reason: 'a' }).snapshot
    expect(a).not.toBe(b)
    expect(b.context.error?.message).toBe('a')
  })
})
