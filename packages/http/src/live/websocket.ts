import type { Hooks, Peer } from 'crossws'

export interface SocketClose {
  code: number
  reason?: string
}

export interface LiveSocketOptions<T> {
  /** Starts the stream once the socket is open; `signal` aborts when the client goes away. */
  source: (signal: AbortSignal, peer: Peer) => AsyncIterable<T>
  /** The text frame of a message; `undefined` sends nothing for it. */
  format: (message: T) => string | undefined
  /** A frame sent every `intervalMs` while the stream runs, so idle proxies keep the socket. */
  keepalive?: { intervalMs: number; message: string }
  /** How the socket closes once the stream ended. Default 1000. */
  close?: SocketClose
  /** How a stream that failed closes, after the optional last frame `message`. Default: 1011 with the error's message. */
  onError?: (error: unknown) => SocketClose & { message?: string }
}

interface Following {
  controller: AbortController
  keepalive?: NodeJS.Timeout
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error)).replace(/^(\[[\w-]+\]\s*)+/, '').slice(0, 120)

/**
 * crossws hooks that stream a source to each peer that opens: every message formatted as a text
 * frame, a keepalive frame on an interval, and a close with `close.code` once the source ends.
 * A peer that closes first aborts its source, so following stops with the client.
 *
 * ```ts
 * defineWebSocketHandler(liveSocketHooks({
 *   source: (signal) => followJob(engine, id, { signal }),
 *   format: (message) => JSON.stringify(message),
 *   keepalive: { intervalMs: 30_000, message: '' },
 * }))
 * ```
 */
export function liveSocketHooks<T>(options: LiveSocketOptions<T>): Partial<Hooks> {
  const peers = new Map<string, Following>()

  const stop = (peer: Peer) => {
    const following = peers.get(peer.id)
    if (!following) return
    peers.delete(peer.id)
    clearInterval(following.keepalive)
    following.controller.abort()
  }

  const pipe = async (peer: Peer, following: Following) => {
    const { signal } = following.controller
    let end: SocketClose & { message?: string } = options.close ?? { code: 1000 }
    try {
      for await (const message of options.source(signal, peer)) {
        if (signal.aborted) return
        const frame = options.format(message)
        if (frame !== undefined) peer.send(frame)
      }
    } catch (error) {
      end = options.onError?.(error) ?? { code: 1011, reason: reasonOf(error) }
    }
    if (signal.aborted) return
    stop(peer)
    if (end.message !== undefined) peer.send(end.message)
    peer.close(end.code, end.reason)
  }

  return {
    open(peer) {
      const following: Following = { controller: new AbortController() }
      if (options.keepalive) {
        const { intervalMs, message } = options.keepalive
        following.keepalive = setInterval(() => peer.send(message), intervalMs)
      }
      peers.set(peer.id, following)
      void pipe(peer, following)
    },
    close: stop,
    error: stop,
  }
}
