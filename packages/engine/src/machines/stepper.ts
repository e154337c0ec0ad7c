import { createActor, type ActorScope, type AnyStateMachine, type EventFromLogic, type ExecutableActionObject, type SnapshotFrom } from 'xstate'

/** An event the machine raised for later (`after` transitions): the caller owns the timer. */
export interface DelayedEvent<TEvent> {
  event: TEvent
  delay: number
}

export interface MachineStepper<TMachine extends AnyStateMachine> {
  /** The machine's next snapshot for `event`, plus the delayed events its actions asked for. */
  step(snapshot: SnapshotFrom<TMachine>, event: EventFromLogic<TMachine>): { snapshot: SnapshotFrom<TMachine>; delayed: DelayedEvent<EventFromLogic<TMachine>>[] }
  /**
   * Marks `snapshot` as shared by many instances (e.g. the state every new
   * job starts in) and returns it: transitions out of it by the `pureEvents`
   * are computed once and reused.
   */
  share(snapshot: SnapshotFrom<TMachine>): SnapshotFrom<TMachine>
}

export interface StepperOptions<TEvent extends { type: string }> {
  /**
   * Event types whose transitions depend only on the snapshot and the event:
   * guards and actions that read neither the clock nor anything outside the
   * machine. Snapshots are immutable, so one computed result serves every
   * instance that stands in the same shared snapshot and takes an equal
   * event. Events whose fields are all primitives (most: `{ type, attempt,
   * result: null }`) are compared by value; others are not reused.
   */
  pureEvents?: readonly TEvent['type'][]
}

/**
 * Runs a machine's transitions without an actor per instance. An engine holds
 * thousands of short-lived jobs: one xstate `Actor` each (its system, mailbox,
 * observers) cost more than the rest of a job, while `machine.transition` with
 * one shared, inert actor scope computes exactly the same snapshots. Effects
 * stay with the caller: the stepper hands back delayed events (`after`) for it
 * to schedule; the machines it runs keep every other effect in `assign`s.
 */
export function createStepper<TMachine extends AnyStateMachine>(machine: TMachine, options: StepperOptions<EventFromLogic<TMachine>> = {}): MachineStepper<TMachine> {
  type Event = EventFromLogic<TMachine>
  type Step = { snapshot: SnapshotFrom<TMachine>; delayed: DelayedEvent<Event>[] }
  const pureEvents = new Set<string>(options.pureEvents)
  const shared = new WeakMap<object, Map<string, Step>>()
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
  const transition = (snapshot: SnapshotFrom<TMachine>, event: Event): Step => {
    delayed = []
    const next = machine.transition(snapshot, event, scope as never) as SnapshotFrom<TMachine>
    return { snapshot: next, delayed }
  }
  return {
    step(snapshot, event) {
      const memo = pureEvents.has(event.type) ? shared.get(snapshot) : undefined
      const key = memo && eventKey(event)
      if (key === undefined) return transition(snapshot, event)
      let known = memo!.get(key)
      if (!known) {
        known = transition(snapshot, event)
        // Results that differ from job to job (a name, an id) would grow the memo without end.
        if (memo!.size >= MAX_REMEMBERED_EVENTS) return known
        // What follows from a shared snapshot by a pure event is shared in turn.
        if (!shared.has(known.snapshot)) shared.set(known.snapshot, new Map())
        memo!.set(key, known)
      }
      return known
    },
    share(snapshot) {
      if (!shared.has(snapshot)) shared.set(snapshot, new Map())
      return snapshot
    },
  }
}

const MAX_REMEMBERED_EVENTS = 8

/** A string equal for equal events whose fields are all primitives; undefined for any other event. */
function eventKey(event: { type: string }): string | undefined {
  let key = event.type
  for (const field in event) {
    if (field === 'type') continue
    const value = (event as Record<string, unknown>)[field]
    if (value !== null && typeof value === 'object') return undefined
    if (typeof value === 'function' || typeof value === 'symbol') return undefined
    key += `\u0000${field}=${typeof value}:${String(value)}`
  }
  return key
}
