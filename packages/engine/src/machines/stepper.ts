import { createActor, type ActorScope, type AnyStateMachine, type EventFromLogic, type ExecutableActionObject, type SnapshotFrom } from 'xstate'

/** An event the machine raised for later (`after` transitions): the caller owns the timer. */
export interface DelayedEvent<TEvent> {
  event: TEvent
  delay: number
}

export interface MachineStepper<TMachine extends AnyStateMachine> {
  /** The machine's next snapshot for `event`, plus the delayed events its actions asked for. */
  step(snapshot: SnapshotFrom<TMachine>, event: EventFromLogic<TMachine>): { snapshot: SnapshotFrom<TMachine>; delayed: DelayedEvent<EventFromLogic<TMachine>>[] }
}

/**
 * Runs a machine's transitions without an actor per instance. An engine holds
 * thousands of short-lived jobs: one xstate `Actor` each (its system, mailbox,
 * observers) cost more than the rest of a job, while `machine.transition` with
 * one shared, inert actor scope computes exactly the same snapshots. Effects
 * stay with the caller: the stepper hands back delayed events (`after`) for it
 * to schedule; the machines it runs keep every other effect in `assign`s.
 */
export function createStepper<TMachine extends AnyStateMachine>(machine: TMachine): MachineStepper<TMachine> {
  type Event = EventFromLogic<TMachine>
  const self = createActor(machine)
  let delayed: DelayedEvent<Event>[] = []
  const scope: ActorScope<SnapshotFrom<TMachine>, Event> = {
    self: self as never,
    id: '',
    sessionId: '',
    system: self.system,
    logger: () => {},
    defer: () => {},
    emit: () => {},
    stopChild: () => {},
    actionExecutor: (action: ExecutableActionObject) => {
      const params = action.params as { event?: Event; delay?: number } | undefined
      if (action.type === 'xstate.raise' && params?.event && typeof params.delay === 'number') delayed.push({ event: params.event, delay: params.delay })
    },
  }
  return {
    step(snapshot, event) {
      delayed = []
      const next = machine.transition(snapshot, event, scope as never) as SnapshotFrom<TMachine>
      return { snapshot: next, delayed }
    },
  }
}
