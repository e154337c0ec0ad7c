import type Redis from 'ioredis'
import type { EngineEmitter, EngineEventName } from '../../../events'

/** The events every node hears, whichever node emitted them (errors stay with the node they concern). */
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

type Relayed = [name: EngineEventName, payload: unknown]

interface Message {
  from: string
  events?: Relayed[]
  cancel?: { id: string; reason?: string }
}

/**
 * Fans the engine's events out to every node over Redis pub/sub, and in from
 * them: a listener on any node hears a job that runs on another. The events
 * of one event-loop turn go out as one message, in the order they happened;
 * Redis delivers one publisher's messages in order.
 */
export class EventRelay {
  private batch: Relayed[] = []
  /** Set while this node re-emits what a peer published, so that it is not published again. */
  replaying = false
  private readonly listeners = new Map<EngineEventName, (payload: unknown) => void>()

  constructor(
    private readonly options: {
      publisher: Redis
      subscriber: Redis
      channel: string
      nodeId: string
      events: EngineEmitter
      onCancel: (id: string, reason?: string) => void
      onError: (error: unknown, context: string) => void
    },
  ) {}

  async start(): Promise<void> {
    const { subscriber, channel, events } = this.options
    subscriber.on('message', (from: string, text: string) => {
      if (from === channel) this.receive(text)
    })
    await subscriber.subscribe(channel)
    for (const name of RELAYED) {
      const listener = (payload: unknown) => {
        if (this.replaying) return
        this.batch.push([name, payload])
        if (this.batch.length === 1) setImmediate(() => this.flush())
      }
      this.listeners.set(name, listener)
      events.on(name, listener as never)
    }
  }

  requestCancel(id: string, reason?: string): void {
    this.publish({ from: this.options.nodeId, cancel: { id, reason } })
  }

  async stop(): Promise<void> {
    for (const [name, listener] of this.listeners) this.options.events.off(name, listener as never)
    this.listeners.clear()
    this.flush()
    await this.options.subscriber.unsubscribe(this.options.channel).catch(() => {})
  }

  private flush(): void {
    if (!this.batch.length) return
    const events = this.batch
    this.batch = []
    this.publish({ from: this.options.nodeId, events })
  }

  private publish(message: Message): void {
    this.options.publisher
      .publish(this.options.channel, JSON.stringify(message))
      .catch((error) => this.options.onError(error, 'relaying events to the other nodes'))
  }

  private receive(text: string): void {
    let message: Message
    try {
      message = JSON.parse(text) as Message
    } catch (error) {
      this.options.onError(error, 'reading an event relayed by another node')
      return
    }
    if (message.from === this.options.nodeId) return
    if (message.cancel) this.options.onCancel(message.cancel.id, message.cancel.reason)
    if (!message.events) return
    const { events } = this.options
    this.replaying = true
    try {
      for (const [name, payload] of message.events) (events.emit as (name: string, payload: unknown) => boolean)(name, payload)
    } catch (error) {
      this.options.onError(error, 'a listener of an event relayed by another node')
    } finally {
      this.replaying = false
    }
  }
}
