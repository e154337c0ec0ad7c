import { createActor, type ActorScope, type ExecutableActionObject } from 'xstate'
import { jobMachine, type JobMachineEvent, type JobSnapshot } from './job'

/** An event the machine raised for later (`after`): the caller owns the timer. */
export interface DelayedJobEvent {
  event: JobMachineEvent
  delay: number
}

/**
 * The job machine's next snapshot for `event`: `jobMachine.transition` called
 * directly, as xstate's pure `transition(machine, snapshot, event)` does, but
 * with one actor scope for every call where `transition()` builds an actor per
 * call. An engine holds thousands of short-lived jobs, and an actor each (its
 * system, mailbox and observers) was measured to cost more than the rest of a
 * job (docs/benchmarks.md). The machine's own actions are `assign`s, applied
 * by the transition; the one effect it leaves to the caller is its delayed
 * event (the end of a retry backoff), returned in `delayed`.
 */
export function transitionJob(snapshot: JobSnapshot, event: JobMachineEvent): { snapshot: JobSnapshot; delayed: DelayedJobEvent[] } {
  delayed = []
  const next = jobMachine.transition(snapshot, event, scope as never) as JobSnapshot
  return { snapshot: next, delayed }
}

let delayed: DelayedJobEvent[] = []
const inert = createActor(jobMachine, { input: {} })
const scope: ActorScope<JobSnapshot, JobMachineEvent> = {
  self: inert as never,
  id: '',
  sessionId: '',
  system: inert.system,
  logger: () => {},
  defer: () => {},
  emit: () => {},
  stopChild: () => {},
  actionExecutor: (action: ExecutableActionObject) => {
    const params = action.params as { event?: JobMachineEvent; delay?: number } | undefined
    if (action.type === 'xstate.raise' && params?.event && typeof params.delay === 'number') delayed.push({ event: params.event, delay: params.delay })
  },
}
