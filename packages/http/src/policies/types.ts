import type { Storage } from 'unstorage'

export interface PolicyRule {
  effect: 'Allow' | 'Deny'
  /** A resource name or a wildcard pattern: `servers:*`, `workflows:prod-*`, `*`. */
  resource: string
  /** Action names or patterns; `*` matches every action. */
  action: string[]
  /** A Common Expression Language expression over `user`, `resource`, `action`, `context`. */
  condition?: string
}

export interface Policy {
  id: string
  name: string
  version: string
  rules: PolicyRule[]
  enabled: boolean
  created_at: string
  updated_at: string
}

export interface PolicyRequest {
  user: { id: string; username: string; roles: string[] }
  resource: string
  action: string
  context?: Record<string, unknown>
}

export type PolicyDecision = 'allow' | 'deny' | 'none'

export interface PolicyStoreOptions {
  storage: Storage
  /** How long compiled policies stay in memory before storage is read again (default 5000 ms); writes on this node refresh them at once. */
  cacheTtlMs?: number
  now?: () => number
}

export interface PolicyStore {
  list(query?: { enabled?: boolean; limit?: number; offset?: number }): Promise<{ items: Policy[]; total: number }>
  get(id: string): Promise<Policy | undefined>
  /** Throws PolicyError (status 422, naming the rule index and the condition's parse error) for an invalid rule. */
  create(input: { name: string; version?: string; rules: PolicyRule[]; enabled?: boolean }): Promise<Policy>
  update(id: string, patch: Partial<Pick<Policy, 'name' | 'version' | 'rules' | 'enabled'>>): Promise<Policy>
  delete(id: string): Promise<void>
  /** 'deny' if any enabled matching rule denies; 'allow' if some allows; 'none' when no rule matches. */
  evaluate(request: PolicyRequest): Promise<PolicyDecision>
  /**
   * What `evaluate` would answer once `change` is written: the policy `id` (a new one when absent)
   * with these rules, enabled unless `enabled` is false. Lets a write be refused that would lock
   * its author out. Throws PolicyError for invalid rules, like `create`.
   */
  preview(change: { id?: string; rules: PolicyRule[]; enabled?: boolean }, request: PolicyRequest): Promise<PolicyDecision>
}
