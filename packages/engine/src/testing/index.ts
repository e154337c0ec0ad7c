// Conformance suites for what users plug into the engine (vitest, an optional peer dependency).
export { testStorage } from './storage'
export type { TestStorageOptions } from './storage'
