import type { EventEmitter } from 'node:events'
import type Redis from 'ioredis'
import type { EngineEmitter, EngineEventName } from '../../../events'

/** The events every node can hear, whichever node emitted them (errors stay with the node they concern). */
const RELAYED: readonly EngineEventName[] = [
  'job:created',
  'job:status',
  'job:output',
  'job:progress',
  'job:event',
  'workflow:status',
  'workflow:operation',
  'workflow:progress',
  'rollback:completed',
  'checkpoint:created',
  'checkpoint:restored',
]
const isRelayed = (name: string | symbol): name is EngineEventName => RELAYED.includes(name as EngineEventName)

type Relayed = [name: EngineEventName, payload: unknown]

/** What the control channel carries: a cancel for whichever node holds the job, or a node's news that it now listens to a kind. */
interface Control {
  from: string
  cancel?: { id: string; reason?: string }
  listens?: EngineEventName
}

/**
 * Relays the engine's events between the nodes over Redis pub/sub, to the
 * nodes that listen only: each kind of event has its own channel, a node
 * subscribes to a kind's channel while it has listeners of that kind, and a
 * node publishes a kind while some other node listens to it (it asks Redis at
 * start which kinds have subscribers, a node that starts listening says so on
 * the control channel, and Redis answers each publish with the number of
 * subscribers that got it). So a node parses no event it
 * has no listener for, and a kind nobody listens to costs nothing, not even
 * its payload (the engine builds a payload only for an event with listeners).
 *
 * The events of one event-loop turn go out in the order they happened, one
 * message per run of one kind; Redis delivers one publisher's messages to a
 * subscriber in the order it received them, across channels too. A listener
 * hears what other nodes publish from about when its node subscribed.
 */
export class EventRelay {
  private batch: Relayed[] = []
  /** Set while this node re-emits what a peer published, so that it is not published again. */
  replaying = false
  /** Kinds this node's own listeners hear: it is subscribed to their channels. */
  private readonly subscribed = new Set<EngineEventName>()
  /** The relay's listener of each kind some other node may listen to: this node publishes those. */
  private readonly publishing = new Map<EngineEventName, (payload: unknown) => void>()
  /** Bumped whenever a peer says it listens: a publish answered "nobody" before that says nothing of now. */
  private interest = 0
  private readonly channelOf = new Map<EngineEventName, string>()
  private readonly kindOf = new Map<string, EngineEventName>()
  private readonly control: string
  /** What starts every message this node publishes: its own are skipped unread. */
  private readonly stamp: string
  private stopped = false

  constructor(
    private readonly options: {
      publisher: Redis
      subscriber: Redis
      /** Prefix of the channels: `<channel>:control`, `<channel>:<event name>`. */
      channel: string
      nodeId: string
      events: EngineEmitter
      onCancel: (id: string, reason?: string) => void
      onError: (error: unknown, context: string) => void
    },
  ) {
    this.control = `${options.channel}:control`
    this.stamp = `${options.nodeId}\n`
    for (const name of RELAYED) {
      this.channelOf.set(name, `${options.channel}:${name}`)
      this.kindOf.set(`${options.channel}:${name}`, name)
    }
  }

  async start(): Promise<void> {
    const { subscriber } = this.options
    subscriber.on('message', (channel: string, text: string) => this.receive(channel, text))
    await subscriber.subscribe(this.control)
    // The kinds other nodes listen to now; from here on, a node that starts listening says so.
    const counts = (await this.options.publisher.pubsub('NUMSUB', ...RELAYED.map((name) => this.channelOf.get(name)!))) as Array<string | number>
    for (const [index, name] of RELAYED.entries()) if (Number(counts[2 * index + 1]) > 0) this.publish(name)
    this.emitter.on('newListener', this.onNewListener)
    this.emitter.on('removeListener', this.onRemoveListener)
    await Promise.all(RELAYED.filter((name) => this.localListeners(name) > 0).map((name) => this.listen(name)))
  }

  requestCancel(id: string, reason?: string): void {
    this.sendControl({ from: this.options.nodeId, cancel: { id, reason } })
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.emitter.off('newListener', this.onNewListener)
    this.emitter.off('removeListener', this.onRemoveListener)
    for (const name of [...this.publishing.keys()]) this.unpublish(name)
    this.flush()
    await this.options.subscriber.unsubscribe().catch(() => {})
  }

  /** The engine's emitter as Node's untyped one, whose `newListener` and `removeListener` events tell which kinds this node listens to. */
  private get emitter(): EventEmitter {
    return this.options.events as unknown as EventEmitter
  }

  /** Listeners of `name` on this node, the relay's own left out. */
  private localListeners(name: EngineEventName): number {
    return this.options.events.listenerCount(name) - (this.publishing.has(name) ? 1 : 0)
  }

  private readonly onNewListener = (name: string | symbol, listener: unknown) => {
    if (!isRelayed(name) || this.stopped || this.subscribed.has(name) || listener === this.publishing.get(name)) return
    void this.listen(name)
  }

  private readonly onRemoveListener = (name: string | symbol) => {
    if (!isRelayed(name) || !this.subscribed.has(name) || this.localListeners(name) > 0) return
    this.subscribed.delete(name)
    this.options.subscriber.unsubscribe(this.channelOf.get(name)!).catch((error) => this.options.onError(error, `unsubscribing from relayed ${name} events`))
  }

  /** Subscribes to a kind's channel, then tells the other nodes, which publish that kind from then on. */
  private async listen(name: EngineEventName): Promise<void> {
    this.subscribed.add(name)
    try {
      await this.options.subscriber.subscribe(this.channelOf.get(name)!)
    } catch (error) {
      this.options.onError(error, `subscribing to relayed ${name} events`)
      return
    }
    this.sendControl({ from: this.options.nodeId, listens: name })
  }

  private publish(name: EngineEventName): void {
    if (this.publishing.has(name) || this.stopped) return
    const listener = (payload: unknown) => {
      if (this.replaying) return
      this.batch.push([name, payload])
      if (this.batch.length === 1) setImmediate(() => this.flush())
    }
    this.publishing.set(name, listener)
    this.options.events.on(name, listener as never)
  }

  private unpublish(name: EngineEventName): void {
    const listener = this.publishing.get(name)
    if (!listener) return
    this.publishing.delete(name)
    this.options.events.off(name, listener as never)
  }

  private flush(): void {
    if (!this.batch.length) return
    const batch = this.batch
    this.batch = []
    let start = 0
    for (let at = 1; at <= batch.length; at++) {
      if (at < batch.length && batch[at][0] === batch[start][0]) continue
      this.send(batch[start][0], batch.slice(start, at))
      start = at
    }
  }

  private send(name: EngineEventName, events: Relayed[]): void {
    const interest = this.interest
    this.options.publisher.publish(this.channelOf.get(name)!, this.stamp + JSON.stringify(events)).then(
      (receivers) => {
        // Nobody else got it, and no node has said since that it listens: stop publishing the kind.
        if (receivers - (this.subscribed.has(name) ? 1 : 0) <= 0 && interest === this.interest) this.unpublish(name)
      },
      (error) => this.options.onError(error, 'relaying events to the other nodes'),
    )
  }

  private sendControl(message: Control): void {
    this.options.publisher
      .publish(this.control, this.stamp + JSON.stringify(message))
      .catch((error) => this.options.onError(error, 'sending a message to the other nodes'))
  }

  private receive(channel: string, text: string): void {
    if (text.startsWith(this.stamp)) return
    const body = text.slice(text.indexOf('\n') + 1)
    if (channel === this.control) return this.receiveControl(body)
    if (!this.kindOf.has(channel)) return
    let events: Relayed[]
    try {
      events = JSON.parse(body) as Relayed[]
    } catch (error) {
      this.options.onError(error, 'reading an event relayed by another node')
      return
    }
    const emitter = this.options.events
    this.replaying = true
    try {
      for (const [name, payload] of events) (emitter.emit as (name: string, payload: unknown) => boolean)(name, payload)
    } catch (error) {
      this.options.onError(error, 'a listener of an event relayed by another node')
    } finally {
      this.replaying = false
    }
  }

  private receiveControl(body: string): void {
    let message: Control
    try {
      message = JSON.parse(body) as Control
    } catch (error) {
      this.options.onError(error, 'reading a message of another node')
      return
    }
    if (message.cancel) this.options.onCancel(message.cancel.id, message.cancel.reason)
    if (message.listens && isRelayed(message.listens)) {
      this.interest++
      this.publish(message.listens)
    }
  }
}
