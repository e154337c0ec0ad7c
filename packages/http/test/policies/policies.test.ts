import { createStorage } from 'unstorage'
import { describe, expect, it, vi } from 'vitest'
import { createPolicyStore, PolicyError, type PolicyRule } from '../../src/policies'

const admin = { id: 'u1', username: 'root', roles: ['admin', 'operator'] }
const operator = { id: 'u2', username: 'olga', roles: ['operator'] }

function setup() {
  const storage = createStorage()
  return { storage, policies: createPolicyStore({ storage }) }
}

describe('policies: store', () => {
  it("creates the document's example policy with defaults and lists it", async () => {
    const { policies, storage } = setup()
    const rules: PolicyRule[] = [{ effect: 'Allow', resource: 'servers:*', action: ['create', 'read'], condition: "user.role == 'admin'" }]
    const policy = await policies.create({ name: 'new_policy', rules })
    expect(policy).toMatchObject({ name: 'new_policy', version: '1.0.0', enabled: true, rules })
    expect(policy.created_at).toBe(policy.updated_at)
    expect(await storage.getKeys('policies')).toEqual([`policies:${policy.id}`])
    expect(await policies.get(policy.id)).toEqual(policy)
    expect(await policies.list()).toEqual({ items: [policy], total: 1 })
  })

  it('refuses an invalid condition at write time, naming the rule and the parse error', async () => {
    const { policies } = setup()
    const rules: PolicyRule[] = [
      { effect: 'Allow', resource: '*', action: ['read'] },
      { effect: 'Deny', resource: '*', action: ['*'], condition: "user.role == 'admin' &&" },
    ]
    const error = await policies.create({ name: 'broken', rules }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(PolicyError)
    expect(error).toMatchObject({ status: 422, code: 'invalid', rule: 1 })
    expect((error as Error).message).toMatch(/^rules\[1\]: condition "user.role == 'admin' &&" is invalid: Unexpected token/)
    await expect(
      policies.create({ name: 'unknown variable', rules: [{ effect: 'Allow', resource: '*', action: ['read'], condition: 'group == "x"' }] }),
    ).rejects.toThrow(/rules\[0\].*Unknown variable: group/)
    await expect(policies.create({ name: 'not boolean', rules: [{ effect: 'Allow', resource: '*', action: ['read'], condition: '1 + 2' }] })).rejects.toThrow(
      /must be true or false/,
    )
    await expect(
      policies.create({ name: 'eval', rules: [{ effect: 'Allow', resource: '*', action: ['read'], condition: 'process.exit(1)' }] }),
    ).rejects.toMatchObject({ status: 422 })
    expect((await policies.list()).total).toBe(0)
  })

  it('refuses malformed rules and fields', async () => {
    const { policies } = setup()
    const bad = [
      { effect: 'Maybe', resource: '*', action: ['read'] },
      { effect: 'Allow', resource: '', action: ['read'] },
      { effect: 'Allow', resource: '*', action: [] },
    ]
    for (const [index, rule] of bad.entries()) {
      await expect(policies.create({ name: `bad${index}`, rules: [rule as PolicyRule] })).rejects.toMatchObject({ status: 422, rule: 0 })
    }
    await expect(policies.create({ name: '', rules: [] })).rejects.toThrow('name')
    await expect(policies.create({ name: 'x', rules: 'nope' as unknown as PolicyRule[] })).rejects.toThrow('rules must be a list')
  })

  it('updates, checks conditions on update too, and deletes', async () => {
    const { policies } = setup()
    const policy = await policies.create({ name: 'p', rules: [{ effect: 'Allow', resource: '*', action: ['read'] }] })
    const updated = await policies.update(policy.id, { name: 'updated_policy', version: '1.1.0', enabled: false })
    expect(updated).toMatchObject({ id: policy.id, name: 'updated_policy', version: '1.1.0', enabled: false, created_at: policy.created_at })
    await expect(policies.update(policy.id, { rules: [{ effect: 'Allow', resource: '*', action: ['read'], condition: '(' }] })).rejects.toMatchObject({
      status: 422,
      rule: 0,
    })
    expect((await policies.get(policy.id))?.rules).toEqual(policy.rules)
    await expect(policies.update('missing', { name: 'x' })).rejects.toMatchObject({ code: 'not_found', status: 404 })
    await policies.delete(policy.id)
    expect(await policies.get(policy.id)).toBeUndefined()
    await expect(policies.delete(policy.id)).rejects.toMatchObject({ status: 404 })
  })

  it('pages and filters by enabled', async () => {
    const { policies } = setup()
    for (let index = 0; index < 5; index++) {
      await policies.create({ name: `p${index}`, rules: [], enabled: index % 2 === 0 })
    }
    const page = await policies.list({ limit: 2, offset: 1 })
    expect(page.total).toBe(5)
    expect(page.items.map((policy) => policy.name)).toEqual(['p1', 'p2'])
    const enabled = await policies.list({ enabled: true })
    expect(enabled.items.map((policy) => policy.name)).toEqual(['p0', 'p2', 'p4'])
    expect(enabled.total).toBe(3)
  })
})

describe('policies: evaluation', () => {
  it("evaluates the document's condition form and the roles list", async () => {
    const { policies } = setup()
    await policies.create({
      name: 'admins',
      rules: [{ effect: 'Allow', resource: 'servers:*', action: ['create', 'read'], condition: "user.role == 'admin'" }],
    })
    await policies.create({
      name: 'operators',
      rules: [{ effect: 'Allow', resource: 'workflows:*', action: ['submit'], condition: "'operator' in user.roles" }],
    })
    expect(await policies.evaluate({ user: admin, resource: 'servers:web-01', action: 'create' })).toBe('allow')
    expect(await policies.evaluate({ user: operator, resource: 'servers:web-01', action: 'create' })).toBe('none')
    expect(await policies.evaluate({ user: admin, resource: 'servers:web-01', action: 'delete' })).toBe('none')
    expect(await policies.evaluate({ user: admin, resource: 'workflows:nightly', action: 'submit' })).toBe('allow')
    expect(await policies.evaluate({ user: operator, resource: 'workflows:nightly', action: 'submit' })).toBe('allow')
  })

  it('lets a deny win over any allow', async () => {
    const { policies } = setup()
    await policies.create({ name: 'allow all', rules: [{ effect: 'Allow', resource: '*', action: ['*'] }] })
    expect(await policies.evaluate({ user: operator, resource: 'workflows:prod-eu', action: 'cancel' })).toBe('allow')
    await policies.create({
      name: 'protect prod',
      rules: [{ effect: 'Deny', resource: 'workflows:prod-*', action: ['cancel', 'delete'], condition: "!('admin' in user.roles)" }],
    })
    expect(await policies.evaluate({ user: operator, resource: 'workflows:prod-eu', action: 'cancel' })).toBe('deny')
    expect(await policies.evaluate({ user: admin, resource: 'workflows:prod-eu', action: 'cancel' })).toBe('allow')
    expect(await policies.evaluate({ user: operator, resource: 'workflows:staging', action: 'cancel' })).toBe('allow')
  })

  it('matches resource and action wildcards', async () => {
    const { policies } = setup()
    await policies.create({ name: 'w', rules: [{ effect: 'Allow', resource: 'workflows:prod-*', action: ['read*'] }] })
    expect(await policies.evaluate({ user: operator, resource: 'workflows:prod-eu', action: 'read' })).toBe('allow')
    expect(await policies.evaluate({ user: operator, resource: 'workflows:prod-eu', action: 'readLogs' })).toBe('allow')
    expect(await policies.evaluate({ user: operator, resource: 'workflows:dev-eu', action: 'read' })).toBe('none')
    expect(await policies.evaluate({ user: operator, resource: 'workflows:prod', action: 'read' })).toBe('none')
    expect(await policies.evaluate({ user: operator, resource: 'xworkflows:prod-1', action: 'read' })).toBe('none')
  })

  it('gives conditions the request context, failing closed when a key is missing', async () => {
    const { policies } = setup()
    await policies.create({
      name: 'office hours',
      rules: [
        {
          effect: 'Allow',
          resource: 'servers:*',
          action: ['create'],
          condition: "context.env == 'dev' && resource.startsWith('servers:') && action == 'create'",
        },
        { effect: 'Deny', resource: 'servers:*', action: ['create'], condition: 'context.quota_left <= 0' },
      ],
    })
    expect(await policies.evaluate({ user: operator, resource: 'servers:a', action: 'create', context: { env: 'dev', quota_left: 3 } })).toBe('allow')
    expect(await policies.evaluate({ user: operator, resource: 'servers:a', action: 'create', context: { env: 'dev', quota_left: 0 } })).toBe('deny')
    // No quota_left: the deny cannot be evaluated and is enforced.
    expect(await policies.evaluate({ user: operator, resource: 'servers:a', action: 'create', context: { env: 'dev' } })).toBe('deny')
    expect(await policies.evaluate({ user: operator, resource: 'servers:a', action: 'create', context: { env: 'prod', quota_left: 3 } })).toBe('none')
  })

  it('ignores disabled policies and sees writes at once', async () => {
    const { policies } = setup()
    const deny = await policies.create({ name: 'deny', rules: [{ effect: 'Deny', resource: '*', action: ['*'] }], enabled: false })
    await policies.create({ name: 'allow', rules: [{ effect: 'Allow', resource: '*', action: ['*'] }] })
    expect(await policies.evaluate({ user: operator, resource: 'a', action: 'b' })).toBe('allow')
    await policies.update(deny.id, { enabled: true })
    expect(await policies.evaluate({ user: operator, resource: 'a', action: 'b' })).toBe('deny')
    await policies.delete(deny.id)
    expect(await policies.evaluate({ user: operator, resource: 'a', action: 'b' })).toBe('allow')
  })

  it("sees another node's writes once the cache lifetime has passed", async () => {
    const storage = createStorage()
    let time = 0
    const here = createPolicyStore({ storage, now: () => time })
    const there = createPolicyStore({ storage, now: () => time })
    expect(await here.evaluate({ user: operator, resource: 'a', action: 'b' })).toBe('none')
    await there.create({ name: 'allow', rules: [{ effect: 'Allow', resource: '*', action: ['*'] }] })
    time += 5000
    expect(await here.evaluate({ user: operator, resource: 'a', action: 'b' })).toBe('allow')
  })

  it("sees another node's updates and deletions within the cache lifetime, and lists no keys while nothing changed", async () => {
    const storage = createStorage()
    let time = 0
    const here = createPolicyStore({ storage, now: () => time })
    const there = createPolicyStore({ storage, now: () => time })
    const policy = await there.create({ name: 'deny', rules: [{ effect: 'Deny', resource: '*', action: ['*'] }] })
    expect(await here.evaluate({ user: operator, resource: 'a', action: 'b' })).toBe('deny')
    const listings = vi.spyOn(storage, 'getKeys')
    for (let check = 0; check < 3; check++) {
      time += 5000
      expect(await here.evaluate({ user: operator, resource: 'a', action: 'b' })).toBe('deny')
    }
    expect(listings).not.toHaveBeenCalled()
    await there.update(policy.id, { rules: [{ effect: 'Allow', resource: '*', action: ['*'] }] })
    expect(await here.evaluate({ user: operator, resource: 'a', action: 'b' })).toBe('deny')
    time += 5000
    expect(await here.evaluate({ user: operator, resource: 'a', action: 'b' })).toBe('allow')
    await there.delete(policy.id)
    time += 5000
    expect(await here.evaluate({ user: operator, resource: 'a', action: 'b' })).toBe('none')
    expect((await here.list()).total).toBe(0)
  })
})
