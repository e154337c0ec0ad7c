import { defineProvider } from '@provisio/engine'
import { accountGet } from './_vultr/account'
import { osList, planList, regionList } from './_vultr/catalog'
import { vultrConfigSchema, type VultrOptions } from './_vultr/config'
import { instanceCreate, instanceDelete, instanceGet, instanceHalt, instanceList, instanceReboot, instanceStart, listInstances } from './_vultr/instances'

export type { VultrConfig, VultrOptions } from './_vultr/config'
export type { VultrAccount, VultrInstance, VultrOs, VultrPlan, VultrRegion } from './_vultr/types'

/** The Vultr provider (API v2) without configuration; `vultr(options)` configures it. */
export const vultrProvider = defineProvider({
  name: 'vultr',
  description: 'Vultr cloud instances through API v2',
  config: vultrConfigSchema,
  actions: {
    'instance.list': instanceList,
    'instance.get': instanceGet,
    'instance.create': instanceCreate,
    'instance.delete': instanceDelete,
    'instance.start': instanceStart,
    'instance.halt': instanceHalt,
    'instance.reboot': instanceReboot,
    'region.list': regionList,
    'plan.list': planList,
    'os.list': osList,
    'account.get': accountGet,
  },
  resources: {
    list: (ctx) => listInstances(ctx.config, ctx.signal),
  },
})

/**
 * Vultr instances, regions, plans, OS images and the account (balance, pending charges).
 *
 * ```ts
 * const engine = createEngine({ providers: [vultr({ apiKey: process.env.VULTR_API_KEY! })] })
 * await engine.jobs.submit({ provider: 'vultr', action: 'instance.create',
 *   input: { region: 'ams', plan: 'vc2-1c-1gb', os_id: 2136, label: 'web-1' } })
 * ```
 */
export function vultr(options: VultrOptions) {
  return vultrProvider.configure(options)
}
