import { defineCommand } from 'citty'
import { consola } from 'consola'
import type { Policy } from '../policies'
import { openDataDir } from './open-data-dir'
import { dataArgs } from './shared-args'

function describePolicy(policy: Policy): string {
  const denies = policy.rules.filter((rule) => rule.effect === 'Deny').length
  return `${policy.id}  ${policy.enabled ? 'enabled ' : 'disabled'}  ${policy.name}  (${policy.rules.length} rules, ${denies} deny)`
}

const listCommand = defineCommand({
  meta: { name: 'list', description: 'List the policies of the data dir (with the server stopped)' },
  args: { ...dataArgs },
  async run({ args }) {
    const { storage } = await openDataDir(args)
    try {
      const { createPolicyStore } = await import('../policies')
      const { items } = await createPolicyStore({ storage }).list({ limit: 1000 })
      if (items.length === 0) consola.info('No policies')
      for (const policy of items) console.log(describePolicy(policy))
    } finally {
      await storage.dispose()
    }
  },
})

const disableCommand = defineCommand({
  meta: { name: 'disable', description: 'Disable a policy in the data dir, e.g. a deny rule that locks every administrator out (with the server stopped)' },
  args: {
    id: { type: 'positional', description: 'Policy id (see `provisio policies list`)', required: true },
    ...dataArgs,
  },
  async run({ args }) {
    const { storage } = await openDataDir(args)
    try {
      const [{ createPolicyStore }, { createAuditLog }] = await Promise.all([import('../policies'), import('../audit')])
      const policies = createPolicyStore({ storage })
      if (!(await policies.get(args.id))) {
        consola.error(`No policy ${args.id}; \`provisio policies list\` shows the ids`)
        process.exitCode = 1
        return
      }
      const policy = await policies.update(args.id, { enabled: false })
      // The shell has no user: the entry says where the change came from instead.
      await createAuditLog({ storage }).record({
        user_id: null,
        username: null,
        action: 'policy.update',
        resource: `policies/${policy.id}`,
        result: 'success',
        details: { fields: ['enabled'], via: 'provisio policies disable' },
        ip: null,
      })
      consola.success(`Disabled policy ${policy.id} (${policy.name})`)
    } finally {
      await storage.dispose()
    }
  },
})

export const policiesCommand = defineCommand({
  meta: { name: 'policies', description: 'Break-glass access to the policies of a stopped server' },
  subCommands: { list: listCommand, disable: disableCommand },
})
