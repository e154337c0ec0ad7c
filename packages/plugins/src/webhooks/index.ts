export { webhooks, FAILED_DELIVERIES_PREFIX, PENDING_DELIVERIES_PREFIX } from './plugin'
export type { WebhookEndpoint, WebhooksOptions } from './plugin'
export { signPayload, signedPart, verifyWebhookSignature } from './signature'
export type { FailedDelivery } from './delivery'
