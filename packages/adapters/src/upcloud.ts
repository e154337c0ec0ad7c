import { defineProvider } from '@provisio/engine'
import { planList, templateList, zoneList } from './_upcloud/catalog'
import { upcloudApi } from './_upcloud/client'
import { upcloudConfigSchema, type UpCloudOptions } from './_upcloud/config'
import { listServers, serverCreate, serverDelete, serverGet, serverList, serverStart, serverStop } from './_upcloud/servers'

export type { UpCloudConfig, UpCloudOptions } from './_upcloud/config'
export type * from './_upcloud/types'

/** The UpCloud provider (API 1.3) without configuration; `upcloud(options)` configures it. */
export const upcloudProvider = defineProvider({
  name: 'upcloud',
  description: 'UpCloud servers through API 1.3',
  config: upcloudConfigSchema,
  actions: {
    'server.list': serverList,
    'server.get': serverGet,
    'server.create': serverCreate,
    'server.start': serverStart,
    'server.stop': serverStop,
    'server.delete': serverDelete,
    'zone.list': zoneList,
    'plan.list': planList,
    'template.list': templateList,
  },
  resources: {
    list: (ctx) => listServers(upcloudApi(ctx.config, { signal: ctx.signal })),
  },
})

/**
 * UpCloud servers, zones, plans and templates.
 *
 * ```ts
 * const engine = createEngine({ providers: [upcloud({ token: process.env.UPCLOUD_TOKEN! })] })
 * await engine.jobs.submit({ provider: 'upcloud', action: 'server.create', input: {
 *   zone: 'de-fra1', title: 'web 1', hostname: 'web1.example.com', plan: '1xCPU-2GB',
 *   template: 'Debian GNU/Linux 12 (Bookworm)' } })
 * ```
 */
export function upcloud(options: UpCloudOptions) {
  return upcloudProvider.configure(options)
}
