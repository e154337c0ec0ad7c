export { collectEngineMetrics, defaultDurationBuckets, metrics } from './plugin'
export type { MetricsOptions, MetricsPlugin } from './plugin'
