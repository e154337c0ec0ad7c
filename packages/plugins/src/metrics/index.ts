export { metrics, defaultDurationBuckets } from './plugin'
export type { MetricsOptions, MetricsPlugin } from './plugin'
