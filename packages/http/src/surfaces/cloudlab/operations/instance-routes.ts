import { z } from 'zod'
import { defineRoute, type RouteDefinition } from '../../../platform/types'
import type { Principal } from '../../../identity'
import { costReport, groupCosts } from './costs'
import { emptyInventory, type InstanceCacheStore } from './instance-cache'
import type { CloudlabJobs } from './jobs'

const instanceTarget = z.object({
  label: z.string().trim().min(1, 'label and region are required'),
  region: z.string().trim().min(1, 'label and region are required'),
})
const jobAnswer = z.object({ job_id: z.string(), status: z.literal('running') })

/** Instances (the cached Vultr inventory, refresh, stops) and the costs computed from it. */
export function instanceRoutes(cache: InstanceCacheStore, jobs: CloudlabJobs): RouteDefinition[] {
  const refresh = (principal: Principal) =>
    jobs.submit({ service: 'inventory', action: 'refresh', principal, run: { action: 'inventory.refresh', input: { banner: '--- Generating inventory ---' } } })

  const stopOne = async (target: z.output<typeof instanceTarget>, principal: Principal) =>
    jobs.submit({ service: target.label, action: 'destroy_instance', principal, run: { action: 'instances.stop', input: { scope: 'instance', ...target } } })

  const refreshRoute = (method: 'GET' | 'POST') =>
    defineRoute({
      method,
      path: '/api/instances/refresh',
      summary: `Starts a job re-reading the Vultr inventory (${method === 'GET' ? 'seed 001' : 'seed 000 and the UI'})`,
      tags: ['instances'],
      permission: 'instances.refresh',
      audit: 'instance.refresh',
      resource: 'instances',
      response: jobAnswer,
      handler: async ({ principal, audit }) => {
        const job = await refresh(principal!)
        audit.details = { job_id: job.job_id }
        return job
      },
    })

  const costs = async () => costReport(await cache.read())

  return [
    defineRoute({
      method: 'GET',
      path: '/api/instances',
      summary: 'The cached Vultr inventory: all.hosts.<host> with ansible_host and the vultr_* facts',
      tags: ['instances'],
      permission: 'instances.view',
      handler: async () => {
        const cached = await cache.read()
        return { instances: cached?.inventory ?? emptyInventory(), cached_at: cached?.cachedAt.replace(/Z$/, '+00:00') ?? null }
      },
    }),
    refreshRoute('GET'),
    refreshRoute('POST'),
    defineRoute({
      method: 'POST',
      path: '/api/instances/stop',
      summary: 'Starts a job destroying one instance, named by label and region in the body',
      tags: ['instances'],
      permission: 'instances.stop',
      audit: 'instance.stop',
      body: instanceTarget,
      response: jobAnswer,
      handler: async ({ body, principal, audit }) => {
        audit.resource = `instances/${body.label}`
        audit.details = { ...body }
        return stopOne(body, principal!)
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/instances/:label/:region/stop',
      summary: 'Starts a job destroying one instance, named by label and region in the path',
      tags: ['instances'],
      permission: 'instances.stop',
      audit: 'instance.stop',
      resource: 'instances/:label',
      params: instanceTarget,
      response: jobAnswer,
      handler: async ({ params, principal, audit }) => {
        audit.details = { ...params }
        return stopOne(params, principal!)
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/costs',
      summary: 'Monthly and hourly cost of each cached instance, by its plan',
      tags: ['costs'],
      permission: 'costs.view',
      handler: costs,
    }),
    defineRoute({
      method: 'GET',
      path: '/api/costs/by-tag',
      summary: 'Costs per tag (`tags` list, and the `by_tag` map the UI reads)',
      tags: ['costs'],
      permission: 'costs.view',
      handler: async () => {
        const report = await costs()
        const groups = groupCosts(report.instances, (line) => line.tags)
        return {
          tags: groups.map(([tag, group]) => ({ tag, ...group })),
          by_tag: Object.fromEntries(groups.map(([tag, group]) => [tag, group.monthly_cost])),
          cached_at: report.cached_at,
        }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/costs/by-region',
      summary: 'Costs per region (`regions` list, and the `by_region` map the UI reads)',
      tags: ['costs'],
      permission: 'costs.view',
      handler: async () => {
        const report = await costs()
        const groups = groupCosts(report.instances, (line) => [line.region || 'unknown'])
        return {
          regions: groups.map(([region, group]) => ({ region, ...group })),
          by_region: Object.fromEntries(groups.map(([region, group]) => [region, group.monthly_cost])),
          cached_at: report.cached_at,
        }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/costs/refresh',
      summary: 'Starts a job re-reading the Vultr instances and plan prices the costs are computed from',
      tags: ['costs'],
      permission: 'costs.refresh',
      audit: 'costs.refresh',
      resource: 'costs',
      response: jobAnswer,
      handler: async ({ principal, audit }) => {
        const job = await jobs.submit({
          service: 'costs',
          action: 'refresh',
          principal: principal!,
          run: { action: 'inventory.refresh', input: { banner: '--- Fetching cost data from Vultr ---' } },
        })
        audit.details = { job_id: job.job_id }
        return job
      },
    }),
  ]
}
