import { randomUUID } from 'node:crypto'
import { backoffDelay, claimsFor, createOwner, definePlugin, type Plugin, type RetryPolicy } from '@provisio/engine'
import PQueue from 'p-queue'
import { every } from '../cluster/periodic'
import { notificationEvents, watchNotifications, type Notification, type NotificationEvent } from '../notifications'
import { deliver, type Delivery } from './delivery'
import { signedBody } from './signature'

export interface WebhookEndpoint {
  url: string
  /** Events sent to this endpoint. Every event when omitted. */
  events?: NotificationEvent[]
  /** Signs each body (HMAC-SHA256): without it, bodies carry no signature. */
  secret?: string
  /** Sent with each request, e.g. an `Authorization` header. */
  headers?: Record<string, string>
}

export interface WebhooksOptions {
  endpoints: WebhookEndpoint[]
  /** Attempts per delivery, the first included, and the wait between them. Default 4 attempts, 1 s doubling, 60 s at most. */
  retry?: RetryPolicy
  /** How long one attempt may take. Default 10 000 ms. */
  timeoutMs?: number
  /** Requests in flight at once, across endpoints. Default 4. */
  concurrency?: number
  /** Lines of a job's output quoted in `data.output`. Default 20. */
  outputLines?: number
  /**
   * How often the pending deliveries are looked through for ones no node is sending (left by a
   * node that stopped or died), once per period across the nodes sharing the storage. Default 60 000 ms.
   */
  pendingSweepMs?: number
}

/** Storage key prefix of deliveries that failed every attempt. */
export const FAILED_DELIVERIES_PREFIX = 'plugins:webhooks:failed'
/** Storage key prefix of deliveries not yet sent (or still being retried); resumed when the engine starts. */
export const PENDING_DELIVERIES_PREFIX = 'plugins:webhooks:pending'

const defaultRetry: RetryPolicy = { attempts: 4, backoffMs: 1000, factor: 2, maxBackoffMs: 60_000 }
/** Room for the queue wait and the storage writes around a delivery's attempts. */
const claimMarginMs = 60_000

/** Every attempt timing out and every backoff waited in full: longer than any delivery can take. */
function longestDeliveryMs(retry: RetryPolicy, timeoutMs: number): number {
  let total = retry.attempts * timeoutMs
  for (let retryNumber = 1; retryNumber < retry.attempts; retryNumber++) total += backoffDelay(retry, retryNumber)
  return total + claimMarginMs
}

/**
 * Posts `task.*` and `batch.*` notifications to HTTP endpoints, signed with each
 * endpoint's secret. Deliveries run in the background and are retried with backoff; each is
 * stored under `plugins:webhooks:pending:<id>` until it is sent, so one pending when the engine
 * stops (or crashes) is sent after the next start, or by another node sharing the storage. A node
 * sends a delivery only while it holds the delivery's claim (the engine's job claims), so two
 * nodes never send one twice. Those that fail every attempt are kept under `plugins:webhooks:failed:<id>`.
 */
export function webhooks(options: WebhooksOptions): Plugin {
  const retry = { ...defaultRetry, ...options.retry }
  const timeoutMs = options.timeoutMs ?? 10_000
  for (const endpoint of options.endpoints) {
    if (!URL.canParse(endpoint.url)) throw new TypeError(`[provisio] [webhooks] invalid endpoint url "${endpoint.url}"`)
    const unknown = endpoint.events?.filter((event) => !notificationEvents.includes(event))
    if (unknown?.length)
      throw new TypeError(`[provisio] [webhooks] unknown event(s) ${unknown.join(', ')} for ${endpoint.url} (known: ${notificationEvents.join(', ')})`)
  }

  return definePlugin({
    name: 'webhooks',
    async setup(engine) {
      // In submission order, a few at once, so a burst of events never opens a burst of sockets.
      const queue = new PQueue({ concurrency: options.concurrency ?? 4 })
      const stopping = new AbortController()
      const claims = claimsFor(engine.storage, 'leases')
      const owner = createOwner()
      const claimMs = longestDeliveryMs(retry, timeoutMs)
      const claimOf = (id: string) => `webhooks:${id}`
      /** Deliveries this node holds the claim of, queued or being sent. */
      const sending = new Set<string>()
      /** Their promises, settled once the claim is released: a stop waits for them. */
      const sends = new Set<Promise<unknown>>()

      const report = (error: Error, context: string) => {
        engine.emit('engine:error', { error, context: `webhooks: ${context}` })
      }
      const keep = (key: string, value: unknown, context: string) => engine.storage.setItem(key, value as never).catch((error: Error) => report(error, context))
      const drop = (key: string, context: string) => engine.storage.removeItem(key).catch((error: Error) => report(error, context))

      // Pending deliveries are stored before they are sent, so a stop or a crash resumes them on the next start.
      const send = (delivery: Delivery): Promise<unknown> => {
        sending.add(delivery.id)
        const sent = queue
          .add(async () => {
            const pendingKey = `${PENDING_DELIVERIES_PREFIX}:${delivery.id}`
            const outcome = await deliver(delivery, { retry, timeoutMs, stopping: stopping.signal })
            if (outcome.status === 'delivered') return drop(pendingKey, `clearing delivery ${delivery.id}`)
            if (outcome.status === 'interrupted') return keep(pendingKey, { ...delivery, attempts: outcome.attempts }, `keeping delivery ${delivery.id}`)
            const { failed } = outcome
            // Kept first, so whoever hears of the failure finds the delivery in storage.
            await keep(`${FAILED_DELIVERIES_PREFIX}:${failed.id}`, failed, `keeping failed delivery ${failed.id}`)
            await drop(pendingKey, `clearing delivery ${failed.id}`)
            report(
              new Error(`[provisio] [webhooks] ${failed.event} to ${failed.url} failed after ${failed.attempts} attempt(s): ${failed.lastError}`),
              `delivery ${failed.id}`,
            )
          })
          // Each delivery handles its own failures: this is the net under it.
          .catch((error: Error) => report(error, 'delivery'))
          .finally(() => {
            sending.delete(delivery.id)
            // Released once the pending record says what is left, so the next node to claim it resumes from there.
            return claims.release(claimOf(delivery.id), owner).catch((error: Error) => report(error, `releasing delivery ${delivery.id}`))
          })
          .finally(() => sends.delete(sent))
        sends.add(sent)
        return sent
      }

      /** Sends the pending deliveries nobody holds the claim of: this node's own after a restart, or a stopped node's. */
      const sweepPending = async () => {
        for (const key of await engine.storage.getKeys(PENDING_DELIVERIES_PREFIX)) {
          const id = key.slice(key.lastIndexOf(':') + 1)
          if (stopping.signal.aborted) return
          if (sending.has(id) || !(await claims.acquire(claimOf(id), owner, claimMs))) continue
          // Read under the claim: its last claimant may have sent it, or counted more attempts, since it was listed.
          const delivery = await engine.storage.getItem<Delivery>(key)
          if (delivery) void send(delivery)
          else await claims.release(claimOf(id), owner)
        }
      }

      const enqueue = (notification: Notification) => {
        for (const endpoint of options.endpoints) {
          if (endpoint.events && !endpoint.events.includes(notification.event)) continue
          const delivery = deliveryFor(endpoint, notification)
          // Claimed before it is stored, so no other node's sweep takes it up meanwhile.
          void claims
            .acquire(claimOf(delivery.id), owner, claimMs)
            .then(() => keep(`${PENDING_DELIVERIES_PREFIX}:${delivery.id}`, delivery, `keeping delivery ${delivery.id}`))
            .then(() => send(delivery))
            .catch((error: Error) => report(error, `claiming delivery ${delivery.id}`))
        }
      }

      await sweepPending()
      const stopSweeping = every(engine.storage, 'webhooks:pending', options.pendingSweepMs ?? 60_000, sweepPending, {
        onError: (error) => report(error as Error, 'looking for pending deliveries'),
      })

      const unwatch = watchNotifications(engine, enqueue, { outputLines: options.outputLines })
      return async () => {
        stopSweeping()
        unwatch()
        // Jobs the engine stopped have announced their end by now: each queued delivery gets one attempt, the rest stay pending.
        stopping.abort()
        await Promise.all([...sends])
      }
    },
  })
}

function deliveryFor(endpoint: WebhookEndpoint, notification: Notification): Delivery {
  const id = randomUUID()
  const { body, signature } = signedBody(JSON.stringify(notification), endpoint.secret)
  return {
    id,
    url: endpoint.url,
    event: notification.event,
    body,
    headers: {
      ...endpoint.headers,
      'content-type': 'application/json',
      'user-agent': 'provisio-webhooks',
      'x-provisio-event': notification.event,
      'x-provisio-delivery': id,
      ...(signature ? { 'x-provisio-signature': signature } : {}),
    },
  }
}
