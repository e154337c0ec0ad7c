// Conformance suites for what users plug into the engine (vitest, an optional peer dependency).
export { testProvider } from './provider'
export type { ActionCall, ProviderStandIn } from './provider'
export { testStorage } from './storage'
export type { TestStorageOptions } from './storage'
