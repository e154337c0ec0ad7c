// SDK
export { createTestContext, definePlugin, defineProvider, runAction } from './sdk'
export type {
  ActionContext,
  ActionDefinition,
  Plugin,
  PluginRoute,
  Provider,
  ProviderDefinition,
  RunActionOptions,
  RunActionResult,
  TestContext,
  TestContextOptions,
} from './sdk'

// Notifications
export { isTaskNotification, notificationEvents, watchNotifications } from './notifications'
export type * from './notifications'

// Webhooks
export { FAILED_DELIVERIES_PREFIX, PENDING_DELIVERIES_PREFIX, signPayload, signedPart, verifyWebhookSignature, webhooks } from './webhooks'
export type { FailedDelivery, WebhookEndpoint, WebhooksOptions } from './webhooks'

// Metrics
export { collectEngineMetrics, defaultDurationBuckets, metrics } from './metrics'
export type { MetricsOptions, MetricsPlugin } from './metrics'

// Mail
export { defaultSubject, mail, messageText, openMailTransport } from './mail'
export type { MailOptions, MailTransporter, SmtpOptions } from './mail'

// Cluster
export { collectClusterMetrics, every, joinCluster, queueCounts, standaloneNode, storageMutex } from './cluster'
export type { ClusterMembership, ClusterNode, EveryOptions, Exclusive, JoinClusterOptions, QueueCounts, StorageMutexOptions } from './cluster'
