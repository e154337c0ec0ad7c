import { cloudlabJobLabel } from '../operations/jobs'
import type { JobRecord } from '@provisio/engine'
import { consola } from 'consola'
import { knownSyncSource, syncType, type SyncDeps } from './sync'
import { syncSource } from './type-config'
import type { TypeRegistry } from './type-registry'

const log = consola.withTag('cloudlab:inventory')

/** The sources read from this machine alone, synced when the server starts (CloudLab does it at startup). */
const localSources = new Set(['service_discovery', 'user_sync', 'deployment_sync'])

/**
 * Keeps synced types current without a click: the local sources at start, the Vultr types
 * after a finished instance refresh (labels `service: inventory`, `action: refresh`), and the
 * deployment types after a finished deploy (`action: deploy`). Returns the function that stops listening.
 */
export function startAutoSync(deps: SyncDeps, types: TypeRegistry): () => void {
  let stopped = false
  const syncSources = async (wanted: (source: string) => boolean) => {
    for (const type of await types.list()) {
      const source = syncSource(type)
      const name = source && knownSyncSource(source)
      if (stopped || !name || !wanted(name)) continue
      await syncType(deps, type, name).catch((error: unknown) => log.warn(`sync of ${type.slug} from ${name} failed: ${(error as Error).message}`))
    }
  }

  const onStatus = ({ job }: { job: JobRecord }) => {
    // Matched on CloudLab's job fields alone (`service`, `action`, reference §6), whichever part labelled the job.
    const service = job.labels[cloudlabJobLabel.service]
    const action = job.labels[cloudlabJobLabel.action]
    // The node that ran the job syncs, once for the cluster.
    if (job.status !== 'completed' || service === undefined || deps.engine.relaying) return
    if (service === 'inventory' && action === 'refresh') void syncSources((name) => name === 'vultr_inventory')
    else if (action === 'deploy') void syncSources((name) => name === 'deployment_sync')
  }
  deps.engine.on('job:status', onStatus)
  void syncSources((name) => localSources.has(name))
  return () => {
    stopped = true
    deps.engine.off('job:status', onStatus)
  }
}
