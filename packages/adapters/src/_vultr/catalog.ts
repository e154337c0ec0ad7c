import { z } from 'zod'
import type { ActionDefinition } from '@provisio/engine'
import { listAll, vultrSession } from './client'
import type { VultrConfig } from './config'
import type { VultrOs, VultrPlan, VultrRegion } from './types'

/** A read-only list action over one of Vultr's catalogues. */
function catalogList<Item, Input extends Record<string, string | undefined>>(
  path: string,
  key: string,
  description: string,
  input: z.ZodType<Input>,
): ActionDefinition<VultrConfig, Input, Item[]> {
  return {
    description,
    idempotent: true,
    input,
    async run(ctx, filters) {
      const { api, log } = vultrSession(ctx)
      const items = await listAll<Item>(api, path, key, ctx.config.perPage, filters)
      log(`${items.length} ${key}`)
      return items
    },
  }
}

export const regionList = catalogList<VultrRegion, Record<string, never>>(
  '/regions',
  'regions',
  'Lists the regions (ewr, ams, fra, …)',
  z.object({}).strict() as z.ZodType<Record<string, never>>,
)

export const planList = catalogList<VultrPlan, { type?: string; os?: string }>(
  '/plans',
  'plans',
  'Lists the plans with their vCPUs, RAM, disk, monthly cost and locations',
  z.object({
    /** `all`, `vc2`, `vhf`, `vdc`, … */
    type: z.string().optional(),
    /** `windows` to list plans that can run Windows. */
    os: z.string().optional(),
  }),
)

export const osList = catalogList<VultrOs, Record<string, never>>(
  '/os',
  'os',
  'Lists the operating system images (os_id for instance.create)',
  z.object({}).strict() as z.ZodType<Record<string, never>>,
)
