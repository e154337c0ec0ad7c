import { cloudlabJobLabel } from '../operations/jobs'
import type { CloudlabContext } from '../context'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Engine, JobRecord } from '@provisio/engine'
import type { Identity } from '../../../identity'
import { ApiError } from '../../../platform/errors'
import type { InventoryStore } from './store'
import type { InventoryTypeConfig } from './type-config'

export interface SyncDeps {
  engine: Engine
  identity: Identity
  store: InventoryStore
  servicesDir: string
  /** The users with CloudLab's profile (display name, SSH key, invite state), from the accounts part. */
  users: CloudlabContext['users']
}

/** Records a source produced, each with the value of its key field; `prune` deletes objects the source no longer has. */
interface SyncResult {
  key: string
  records: Record<string, unknown>[]
  prune: boolean
}

type SyncAdapter = (deps: SyncDeps) => Promise<SyncResult>

/** An instance as CloudLab's Vultr inventory names it: its label is the host name. */
interface ListedInstance {
  id: string
  label: string
  hostname: string
  main_ip: string
  region: string
  plan: string
  os: string
  power_status: string
  tags?: string[]
}

const isFile = (path: string) =>
  stat(path).then(
    (info) => info.isFile(),
    () => false,
  )

/**
 * `vultr_inventory`: every instance, listed through the engine's vultr adapter. The listing is an
 * engine job of its own but no cloudlab job: the real backend syncs in-process, so its jobs list
 * (and the UI's dashboard) shows the refresh that asked for it, never a job without a service.
 */
const vultrInventory: SyncAdapter = async ({ engine }) => {
  const job = await engine.jobs.submit({ provider: 'vultr', action: 'instance.list', input: {} })
  const done = await engine.jobs.wait(job.id)
  if (done.status !== 'completed') throw new ApiError(502, `Vultr sync failed: ${done.error?.message ?? done.status}`)
  const instances = (done.result ?? []) as ListedInstance[]
  return {
    key: 'hostname',
    prune: true,
    records: instances.map((instance) => ({
      hostname: instance.label || instance.hostname,
      ip_address: instance.main_ip,
      region: instance.region,
      plan: instance.plan,
      os: instance.os,
      power_status: instance.power_status ?? 'unknown',
      vultr_id: instance.id,
      vultr_label: instance.label || instance.hostname,
      vultr_tags: instance.tags ?? [],
    })),
  }
}

/** `service_discovery`: folders of the services folder with a `deploy.sh` (or 000's `instance.yaml` + `main.yaml`). */
const serviceDiscovery: SyncAdapter = async ({ servicesDir }) => {
  const names = (await readdir(servicesDir, { withFileTypes: true }).catch(() => []))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
  const services: string[] = []
  for (const name of names) {
    const folder = join(servicesDir, name)
    if ((await isFile(join(folder, 'deploy.sh'))) || ((await isFile(join(folder, 'instance.yaml'))) && (await isFile(join(folder, 'main.yaml')))))
      services.push(name)
  }
  return { key: 'name', prune: false, records: services.map((name) => ({ name, service_dir: `/services/${name}`, status: 'available' })) }
}

/** `user_sync`: the accounts of the one user database, with their CloudLab profile. */
const userSync: SyncAdapter = async ({ identity, users }) => {
  const lastLogin = new Map<string, string>()
  for (let offset = 0; ; offset += 500) {
    const page = await identity.users.list({ limit: 500, offset })
    for (const user of page.items) lastLogin.set(user.id, user.last_login ?? '')
    if (page.items.length < 500) break
  }
  const records = (await users()).map((user) => ({
    username: user.username,
    display_name: user.display_name,
    email: user.email ?? '',
    ssh_public_key: user.ssh_public_key ?? '',
    role: user.roles.join(', '),
    status: user.status,
    last_login_at: lastLogin.get(user.id) ?? '',
  }))
  return { key: 'username', prune: false, records }
}

/** `DEPLOYMENT_ID=<id>` in a deploy's output names the deployment it made. */
async function deploymentId(engine: Engine, job: JobRecord): Promise<string | undefined> {
  if (job.labels.deployment_id) return job.labels.deployment_id
  for await (const { line } of engine.jobs.output(job.id)) {
    const match = /DEPLOYMENT_ID=([\w-]+)/.exec(line)
    if (match) return match[1]
  }
  return undefined
}

/** `deployment_sync`: finished deploy jobs (cloudlab labels: a service, `action: deploy`) that reported a deployment id. */
const deploymentSync: SyncAdapter = async ({ engine, store }) => {
  const servers = await store.listObjects('server')
  const records: Record<string, unknown>[] = []
  for (let offset = 0; ; offset += 500) {
    const page = await engine.jobs.list({ label: { [cloudlabJobLabel.action]: 'deploy' }, status: ['completed', 'failed'], limit: 500, offset })
    for (const job of page.items) {
      const service = job.labels[cloudlabJobLabel.service]
      if (service === undefined) continue
      const id = await deploymentId(engine, job)
      if (!id) continue
      const server = servers.find((object) => Array.isArray(object.data.vultr_tags) && object.data.vultr_tags.includes(service))
      records.push({
        service_name: service,
        deployment_id: id,
        hostname: server?.data.hostname ?? '',
        ip_address: server?.data.ip_address ?? '',
        status: job.status,
        deployed_by: job.labels[cloudlabJobLabel.username] ?? '',
        job_id: job.id,
        started_at: job.startedAt ?? '',
        finished_at: job.finishedAt ?? '',
      })
    }
    if (page.items.length < 500) break
  }
  return { key: 'job_id', prune: false, records }
}

const adapters: Record<string, SyncAdapter> = {
  vultr_inventory: vultrInventory,
  service_discovery: serviceDiscovery,
  user_sync: userSync,
  deployment_sync: deploymentSync,
}

/** The sources CloudLab knows, with the wiki's adapter names beside them. */
const aliases: Record<string, string> = { vultr: 'vultr_inventory', services: 'service_discovery', users: 'user_sync', deployments: 'deployment_sync' }

export function knownSyncSource(source: string): string | undefined {
  const name = aliases[source] ?? source
  return Object.hasOwn(adapters, name) ? name : undefined
}

/** Fills the type from its source: objects upserted by the source's key field, and pruned where the source says so. */
export async function syncType(deps: SyncDeps, type: InventoryTypeConfig, source: string): Promise<{ synced: number; removed: number }> {
  const name = knownSyncSource(source)
  if (!name) throw new ApiError(400, `Unknown sync source '${source}'`)
  const result = await adapters[name](deps)
  return deps.store.exclusive(type.slug, async () => {
    const existing = await deps.store.listObjects(type.slug)
    const seen = new Set<unknown>()
    for (const record of result.records) {
      const value = record[result.key]
      seen.add(value)
      const match = existing.find((object) => object.data[result.key] === value)
      if (match) await deps.store.updateObject(match, { data: { ...match.data, ...record } })
      else await deps.store.createObject({ type: type.slug, data: record, tagIds: [], createdBy: null })
    }
    let removed = 0
    if (result.prune) {
      for (const object of existing) {
        if (seen.has(object.data[result.key])) continue
        await deps.store.deleteObject(object)
        removed += 1
      }
    }
    return { synced: result.records.length, removed }
  })
}
