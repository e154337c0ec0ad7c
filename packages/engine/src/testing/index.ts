// Conformance suites for vitest: `@provisio/engine/testing`
export { testProvider } from './provider'
export type { ActionCall, ProviderStandIn } from './provider'
