import { randomUUID } from 'node:crypto'
import { definePlugin, type Plugin, type RetryPolicy } from '@provisio/engine'
import { TaskQueue } from '../_internal/queue'
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
}

/** Storage key prefix of deliveries that failed every attempt. */
export const FAILED_DELIVERIES_PREFIX = 'plugins:webhooks:failed'

const defaultRetry: RetryPolicy = { attempts: 4, backoffMs: 1000, factor: 2, maxBackoffMs: 60_000 }

/**
 * Posts `task.*` and `batch.*` notifications to HTTP endpoints, signed with each
 * endpoint's secret. Deliveries run in the background, are retried with backoff,
 * and those that fail every attempt are kept under `plugins:webhooks:failed:<id>`.
 */
export function webhooks(options: WebhooksOptions): Plugin {
  const retry = { ...defaultRetry, ...options.retry }
  const timeoutMs = options.timeoutMs ?? 10_000
  for (const endpoint of options.endpoints) {
    if (!URL.canParse(endpoint.url)) throw new TypeError(`[provisio] [webhooks] invalid endpoint url "${endpoint.url}"`)
    const unknown = endpoint.events?.filter((event) => !notificationEvents.includes(event))
    if (unknown?.length) throw new TypeError(`[provisio] [webhooks] unknown event(s) ${unknown.join(', ')} for ${endpoint.url} (known: ${notificationEvents.join(', ')})`)
  }

  return definePlugin({
    name: 'webhooks',
    setup(engine) {
      const queue = new TaskQueue(options.concurrency ?? 4, (error) => engine.emit('engine:error', { error, context: 'webhooks: delivery' }))
      const stopping = new AbortController()

      const enqueue = (notification: Notification) => {
        for (const endpoint of options.endpoints) {
          if (endpoint.events && !endpoint.events.includes(notification.event)) continue
          const delivery = deliveryFor(endpoint, notification)
          queue.add(async () => {
            const failed = await deliver(delivery, { retry, timeoutMs, stopping: stopping.signal })
            if (!failed) return
            // Kept first, so whoever hears of the failure finds the delivery in storage.
            await engine.storage.setItem(`${FAILED_DELIVERIES_PREFIX}:${failed.id}`, failed).catch((error: Error) => {
              engine.emit('engine:error', { error, context: `webhooks: keeping failed delivery ${failed.id}` })
            })
            engine.emit('engine:error', {
              error: new Error(`[provisio] [webhooks] ${failed.event} to ${failed.url} failed after ${failed.attempts} attempt(s): ${failed.lastError}`),
              context: `webhooks: delivery ${failed.id}`,
            })
          })
        }
      }

      const unwatch = watchNotifications(engine, enqueue, { outputLines: options.outputLines })
      return async () => {
        unwatch()
        // Jobs the engine stopped have announced their end by now: send what is queued once, keep the rest.
        stopping.abort()
        await queue.idle()
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
