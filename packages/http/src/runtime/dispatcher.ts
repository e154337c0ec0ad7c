import type { JobDispatcher } from '@provisio/engine'
import type { ServeConfig } from '../config/schema'

/**
 * Where the engine's jobs run: with Redis storage, on whichever node of the cluster has
 * capacity (BullMQ on the same Redis); otherwise in this process (no dispatcher).
 */
export async function createConfiguredDispatcher(config: Pick<ServeConfig, 'storage' | 'redisUrl'>): Promise<JobDispatcher | undefined> {
  if (config.storage !== 'redis' || !config.redisUrl) return undefined
  // Loaded only when asked for, so BullMQ stays out of the single-process setups.
  const { bullmqDispatcher } = await import('@provisio/engine/bullmq')
  return bullmqDispatcher({ connection: config.redisUrl, prefix: 'provisio' })
}
