import { createTimeOrderedId } from '../identity/ids'
import { hasUnsafeCharacters } from '../identity/text'
import { lastSegment } from '../identity/keys'
import { createKeyedQueue } from '../identity/serialize'
import { createStampedCopy } from '../identity/stamped-copy'
import { pageOf } from '../identity/paging'
import type { ConditionInput } from './conditions'
import { PolicyError } from './errors'
import { compileRule, normalizeRules, ruleApplies, type CompiledRule } from './rules'
import type { Policy, PolicyDecision, PolicyRequest, PolicyStore, PolicyStoreOptions } from './types'

const policiesKey = 'policies'
const policyKey = (id: string) => `policies:${id}`
// Outside `policies:`, so that listing the policies does not list it.
const changeStampKey = 'policy-changes'

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > 100 || hasUnsafeCharacters(name)) {
    throw new PolicyError('invalid', 'name must be a non-empty string of at most 100 characters, without control or bidirectional characters')
  }
  return name.trim()
}

function checkVersion(version: unknown): string {
  if (typeof version !== 'string' || version.trim().length === 0 || version.length > 50 || hasUnsafeCharacters(version)) {
    throw new PolicyError('invalid', 'version must be a non-empty string of at most 50 characters, without control or bidirectional characters')
  }
  return version.trim()
}

function checkEnabled(enabled: unknown): boolean {
  if (typeof enabled !== 'boolean') throw new PolicyError('invalid', 'enabled must be true or false')
  return enabled
}

/** 'deny' if an applying rule denies, 'allow' if one allows, else 'none'. */
function decide(rules: CompiledRule[], request: PolicyRequest): PolicyDecision {
  if (rules.length === 0) return 'none'
  const roles = request.user.roles ?? []
  const input: ConditionInput = {
    user: { id: request.user.id, username: request.user.username, role: roles[0] ?? '', roles: [...roles] },
    resource: request.resource,
    action: request.action,
    context: request.context ?? {},
  }
  let decision: 'allow' | 'none' = 'none'
  for (const rule of rules) {
    if (!ruleApplies(rule, input)) continue
    if (rule.effect === 'Deny') return 'deny'
    decision = 'allow'
  }
  return decision
}

/** Policies persisted one per key (`policies:<id>`), evaluated from a compiled in-memory copy. */
export function createPolicyStore(options: PolicyStoreOptions): PolicyStore {
  const { storage } = options
  const now = options.now ?? Date.now
  const cacheTtlMs = options.cacheTtlMs ?? 5000
  const serialize = createKeyedQueue()

  async function read(id: string) {
    if (typeof id !== 'string' || id.length === 0 || id.includes(':')) return undefined
    return (await storage.getItem<Policy>(policyKey(id))) ?? undefined
  }

  async function readAll() {
    const ids = (await storage.getKeys(policiesKey)).map(lastSegment).sort()
    return (await Promise.all(ids.map(read))).filter((policy): policy is Policy => !!policy)
  }

  // Writes on this node reload at once; another node's are seen within the cache lifetime.
  const compiled = createStampedCopy<CompiledRule[]>({
    storage,
    stampKey: changeStampKey,
    initial: [],
    load: async () => (await readAll()).filter((policy) => policy.enabled).flatMap((policy) => policy.rules.map(compileRule)),
    cacheTtlMs,
    now,
  })

  async function changed() {
    await compiled.markChanged()
    await compiled.reload()
  }

  async function write(policy: Policy) {
    await storage.setItem(policyKey(policy.id), policy)
    await changed()
    return policy
  }

  return {
    async list(query = {}) {
      const { limit, offset } = pageOf(query)
      if (query.enabled === undefined) {
        const ids = (await storage.getKeys(policiesKey)).map(lastSegment).sort()
        const items = await Promise.all(ids.slice(offset, offset + limit).map(read))
        return { items: items.filter((policy): policy is Policy => !!policy), total: ids.length }
      }
      const matching = (await readAll()).filter((policy) => policy.enabled === query.enabled)
      return { items: matching.slice(offset, offset + limit), total: matching.length }
    },

    get: read,

    async create(input) {
      const time = new Date(now()).toISOString()
      const policy: Policy = {
        id: createTimeOrderedId(now()),
        name: checkName(input?.name),
        version: input.version === undefined ? '1.0.0' : checkVersion(input.version),
        rules: normalizeRules(input.rules),
        enabled: input.enabled === undefined ? true : checkEnabled(input.enabled),
        created_at: time,
        updated_at: time,
      }
      return write(policy)
    },

    update(id, patch) {
      return serialize(id, async () => {
        const current = await read(id)
        if (!current) throw new PolicyError('not_found', 'Policy not found')
        const next: Policy = { ...current, updated_at: new Date(now()).toISOString() }
        if (patch.name !== undefined) next.name = checkName(patch.name)
        if (patch.version !== undefined) next.version = checkVersion(patch.version)
        if (patch.rules !== undefined) next.rules = normalizeRules(patch.rules)
        if (patch.enabled !== undefined) next.enabled = checkEnabled(patch.enabled)
        return write(next)
      })
    },

    async delete(id) {
      if (!(await read(id))) throw new PolicyError('not_found', 'Policy not found')
      await storage.removeItem(policyKey(id))
      await changed()
    },

    async evaluate(request) {
      // Checked here too, so that the usual fresh copy costs no extra await.
      if (!compiled.isFresh()) await compiled.refresh()
      return decide(compiled.value, request)
    },

    async preview(change, request) {
      const rules = normalizeRules(change.rules)
      const others = (await readAll()).filter((policy) => policy.enabled && policy.id !== change.id)
      const candidate = change.enabled === false ? [] : rules
      return decide([...others.flatMap((policy) => policy.rules), ...candidate].map(compileRule), request)
    },
  }
}
