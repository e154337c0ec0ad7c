import { z } from 'zod'
import type { ActionDefinition } from '@provisio/engine'
import { upcloudSession } from './client'
import type { UpCloudConfig } from './config'
import { parsePlan, parseTemplate, parseZone, unwrapList } from './parse'
import type { UpCloudPlan, UpCloudTemplate, UpCloudZone } from './types'

type Raw = Record<string, unknown>
const noInput = z.object({}).strict() as z.ZodType<Record<string, never>>

/** A read-only list over one of UpCloud's doubly wrapped catalogues. */
function catalogList<Item>(
  path: string,
  outer: string,
  inner: string,
  description: string,
  parse: (raw: Raw) => Item | undefined,
): ActionDefinition<UpCloudConfig, Record<string, never>, Item[]> {
  return {
    description,
    idempotent: true,
    input: noInput,
    async run(ctx) {
      const { api, log } = upcloudSession(ctx)
      const answer = await api.get<Record<string, unknown>>(path)
      const items = unwrapList(answer[outer], inner)
        .map(parse)
        .filter((item): item is Item => item !== undefined)
      log(`${items.length} ${outer}`)
      return items
    },
  }
}

export const zoneList = catalogList<UpCloudZone>('/zone', 'zones', 'zone', 'Lists the zones (de-fra1, fi-hel1, us-nyc1, …)', parseZone)
export const planList = catalogList<UpCloudPlan>('/plan', 'plans', 'plan', 'Lists the server plans with cores, memory and disk', parsePlan)
export const templateList = catalogList<UpCloudTemplate>('/storage/template', 'storages', 'storage', 'Lists the OS templates to clone a server from', (raw) =>
  raw.type === 'template' ? parseTemplate(raw) : undefined,
)
