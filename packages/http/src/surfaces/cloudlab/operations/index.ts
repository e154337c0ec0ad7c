import type { CloudlabContext, CloudlabPart } from '../context'
import { fileRoutes } from './file-routes'
import { instanceRoutes } from './instance-routes'
import { jobRoutes } from './job-routes'
import { CloudlabJobs } from './jobs'
import { useCloudlabProvider } from './provider'
import { serviceRoutes } from './service-routes'
import { ServiceFiles } from './service-files'
import { ServiceCatalog } from './services'

export { InstanceCacheStore } from './instance-cache'
export { cloudlabJobs, INSTANCES_CACHED } from './provider'
export type { CachedHost, InstanceCache } from './instance-cache'

/** Services (deploy, stop, scripts, configs, files), instances, costs and jobs with live output. */
export function operationsPart(context: CloudlabContext): CloudlabPart {
  const { engine, identity } = context.deps
  const cache = useCloudlabProvider(engine, context.vault)
  const catalog = new ServiceCatalog(context.servicesDir)
  const jobs = new CloudlabJobs(engine, identity)
  const live = jobRoutes(engine, jobs)
  return {
    routes: [...serviceRoutes(catalog, jobs), ...fileRoutes(new ServiceFiles(catalog)), ...instanceRoutes(cache, jobs), ...live.routes],
    websockets: live.websockets,
  }
}
