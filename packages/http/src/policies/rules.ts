import { hasUnsafeCharacters } from '../identity/text'
import { matchWildcard, maxWildcardPatternLength } from '../identity/wildcard'
import { compileCondition, type ConditionInput } from './conditions'
import { PolicyError } from './errors'
import type { PolicyRule } from './types'

export interface CompiledRule {
  effect: 'Allow' | 'Deny'
  resource: string
  action: string[]
  condition?: (input: ConditionInput) => unknown
}

const maxRules = 100
const maxActions = 50

function fail(index: number, message: string): never {
  throw new PolicyError('invalid', `rules[${index}]: ${message}`, index)
}

/** Checks and normalises one rule as written by a client; the effect is accepted in any casing. */
function normalizeRule(rule: unknown, index: number): PolicyRule {
  if (!rule || typeof rule !== 'object') fail(index, 'must be an object')
  const { effect, resource, action, condition } = rule as Record<string, unknown>
  const effectName = typeof effect === 'string' ? effect.toLowerCase() : ''
  if (effectName !== 'allow' && effectName !== 'deny') fail(index, 'effect must be "Allow" or "Deny"')
  if (typeof resource !== 'string' || resource.trim().length === 0 || resource.length > maxWildcardPatternLength || hasUnsafeCharacters(resource)) {
    fail(index, `resource must be a non-empty string of at most ${maxWildcardPatternLength} characters, without control or bidirectional characters`)
  }
  const actions = typeof action === 'string' ? [action] : action
  if (!Array.isArray(actions) || actions.length === 0 || actions.length > maxActions) {
    fail(index, `action must be a list of 1 to ${maxActions} action names`)
  }
  if (!actions.every((name) => typeof name === 'string' && name.trim().length > 0 && name.length <= 100 && !hasUnsafeCharacters(name))) {
    fail(index, 'every action must be a non-empty string of at most 100 characters')
  }
  const normalized: PolicyRule = {
    effect: effectName === 'allow' ? 'Allow' : 'Deny',
    resource: resource.trim(),
    action: (actions as string[]).map((name) => name.trim()),
  }
  if (condition !== undefined && condition !== null && condition !== '') {
    if (typeof condition !== 'string') fail(index, 'condition must be a string')
    try {
      compileCondition(condition)
    } catch (error) {
      fail(index, `condition ${JSON.stringify(condition)} is invalid: ${(error as Error).message}`)
    }
    normalized.condition = condition
  }
  return normalized
}

export function normalizeRules(rules: unknown): PolicyRule[] {
  if (!Array.isArray(rules)) throw new PolicyError('invalid', 'rules must be a list')
  if (rules.length > maxRules) throw new PolicyError('invalid', `A policy holds at most ${maxRules} rules`)
  return rules.map(normalizeRule)
}

export function compileRule(rule: PolicyRule): CompiledRule {
  const compiled: CompiledRule = { effect: rule.effect, resource: rule.resource, action: rule.action }
  if (rule.condition) compiled.condition = compileCondition(rule.condition).evaluate
  return compiled
}

/**
 * Whether the rule applies. A condition that fails at run time (a missing `context` key,
 * say) fails closed: it does not grant an Allow and it does enforce a Deny.
 */
export function ruleApplies(rule: CompiledRule, input: ConditionInput): boolean {
  if (!matchWildcard(rule.resource, input.resource)) return false
  if (!rule.action.some((pattern) => matchWildcard(pattern, input.action))) return false
  if (!rule.condition) return true
  try {
    return rule.condition(input) === true
  } catch {
    return rule.effect === 'Deny'
  }
}
