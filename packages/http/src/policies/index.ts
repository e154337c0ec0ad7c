// Store
export { createPolicyStore } from './store'
export type { Policy, PolicyDecision, PolicyRequest, PolicyRule, PolicyStore, PolicyStoreOptions } from './types'

// Errors
export { PolicyError } from './errors'

// Conditions
export { compileCondition } from './conditions'
export type { ConditionInput } from './conditions'
