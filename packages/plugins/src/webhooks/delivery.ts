import { setTimeout as sleep } from 'node:timers/promises'
import { backoffDelay, type RetryPolicy } from '@provisio/engine'

/** One notification on its way to one endpoint. */
export interface Delivery {
  /** Also sent as `X-Provisio-Delivery`, so a receiver can drop the repeat of a retried delivery it already got. */
  id: string
  url: string
  event: string
  body: string
  headers: Record<string, string>
  /** Attempts made before the engine last stopped; a resumed delivery counts on from there. */
  attempts?: number
}

/** What `plugins:webhooks:failed:<id>` holds for a delivery that failed every attempt. */
export interface FailedDelivery {
  id: string
  url: string
  event: string
  /** The body exactly as it was sent (with its signature). */
  body: string
  attempts: number
  /** HTTP status of the last attempt; absent when it got no response. */
  lastStatus?: number
  lastError: string
  failedAt: string
}

export interface DeliveryOptions {
  retry: RetryPolicy
  timeoutMs: number
  /** Aborted when the engine stops: the attempt under way finishes, no retry follows. */
  stopping: AbortSignal
}

type AttemptOutcome = { ok: true } | { ok: false; status?: number; error: string }

/** How a delivery ended: sent, given up after every attempt, or cut short by the engine stopping (to resume later). */
export type DeliveryOutcome = { status: 'delivered' } | { status: 'failed'; failed: FailedDelivery } | { status: 'interrupted'; attempts: number }

/** Sends a delivery, retrying with backoff, until it is delivered, out of attempts, or the engine stops. */
export async function deliver(delivery: Delivery, options: DeliveryOptions): Promise<DeliveryOutcome> {
  let attempt = delivery.attempts ?? 0
  let outcome: AttemptOutcome
  for (;;) {
    attempt++
    outcome = await send(delivery, options.timeoutMs)
    if (outcome.ok) return { status: 'delivered' }
    if (attempt >= options.retry.attempts) break
    if (options.stopping.aborted) return { status: 'interrupted', attempts: attempt }
    const waited = await sleep(backoffDelay(options.retry, attempt), true, { signal: options.stopping }).catch(() => false)
    if (!waited) return { status: 'interrupted', attempts: attempt }
  }
  return {
    status: 'failed',
    failed: {
      id: delivery.id,
      url: delivery.url,
      event: delivery.event,
      body: delivery.body,
      attempts: attempt,
      ...(outcome.status === undefined ? {} : { lastStatus: outcome.status }),
      lastError: outcome.error,
      failedAt: new Date().toISOString(),
    },
  }
}

async function send(delivery: Delivery, timeoutMs: number): Promise<AttemptOutcome> {
  try {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
      // A redirect is an answer of its own, not a place to send signed events to.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    })
    // Read the answer to free the connection for the next delivery.
    await response.arrayBuffer().catch(() => {})
    if (response.status >= 200 && response.status < 300) return { ok: true }
    return { ok: false, status: response.status, error: `HTTP ${response.status} ${response.statusText}`.trim() }
  } catch (error) {
    const err = error as Error & { cause?: Error }
    const reason = err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.message ?? err.message)
    return { ok: false, error: reason }
  }
}
