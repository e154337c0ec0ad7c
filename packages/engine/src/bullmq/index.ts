// `@provisio/engine/bullmq`: a separate entry, so that the embedded default never loads BullMQ or ioredis.
export { BullmqDispatcher, bullmqDispatcher } from '../jobs/dispatch/bullmq/dispatcher'
export type { BullmqDispatcherOptions, DispatchCounts } from '../jobs/dispatch/bullmq/dispatcher'
