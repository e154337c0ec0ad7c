import { EventStream, type EventStreamMessage, type H3Event } from 'h3'
import { nextUnlessAborted } from './queue'

export interface LiveEventStreamOptions<T> {
  /** The SSE frame of a message (`event:` and `data:`); `undefined` sends nothing for it. */
  format: (message: T) => EventStreamMessage | undefined
  /** A comment line sent every `keepaliveMs` while the stream runs. Default 15 000; 0 for none. */
  keepaliveMs?: number
  /** The last frame of a stream that failed after it began; default `event: error` with the message. */
  onError?: (error: unknown) => EventStreamMessage | undefined
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error)).replace(/^(\[[\w-]+\]\s*)+/, '')

/**
 * Answers a request with a server-sent event stream of `source`, closed once the source ends.
 * The first message is read before the answer starts, so a source that fails at once (an
 * unknown job) rejects here and the route answers an ordinary HTTP error instead of a stream.
 * A client that disconnects aborts the source.
 *
 * ```ts
 * handler: ({ event, params }) => liveEventStream(event, (signal) => followJob(engine, params.id, { signal }), {
 *   format: (message) => ({ event: message.type, data: JSON.stringify(message) }),
 * })
 * ```
 */
export async function liveEventStream<T>(
  event: H3Event,
  source: (signal: AbortSignal) => AsyncIterable<T>,
  options: LiveEventStreamOptions<T>,
): Promise<EventStream> {
  const following = new AbortController()
  const messages = source(following.signal)[Symbol.asyncIterator]()
  let first: IteratorResult<T>
  try {
    first = await messages.next()
  } catch (error) {
    following.abort()
    throw error
  }

  const stream = new EventStream(event)
  stream.onClosed(() => following.abort())
  const keepaliveMs = options.keepaliveMs ?? 15_000
  const keepalive = keepaliveMs > 0 ? setInterval(() => void stream.pushComment('keepalive'), keepaliveMs) : undefined

  void (async () => {
    try {
      for (let next: IteratorResult<T> | undefined = first; next && !next.done; next = await nextUnlessAborted(messages, following.signal)) {
        const frame = options.format(next.value)
        if (frame) await stream.push(frame)
      }
    } catch (error) {
      const frame = options.onError ? options.onError(error) : { event: 'error', data: JSON.stringify({ message: messageOf(error) }) }
      if (frame) await stream.push(frame)
    } finally {
      clearInterval(keepalive)
      following.abort()
      void messages.return?.()
      await stream.close()
    }
  })()
  return stream
}
