import { join, resolve } from 'node:path'
import type { ActionDefinition, OperationSpec } from '@provisio/engine'
import { WorkspaceError } from './errors'
import { kindOf } from './paths'
import type { ServerRecord } from './records'
import { serverDrivers } from './server-drivers'
import type { LoadedInfra, ServerSettings, TaskservSettings } from './settings'

/** What a submission asks of an infra. */
export type PlanRequest =
  | { kind: 'servers'; wait: boolean }
  | { kind: 'taskserv'; taskserv: string; operation: 'create' | 'delete' }
  /**
   * `taskservs`: the cluster type's own list, used when the cluster in settings names none;
   * `cluster`: which cluster of that type, needed only when the infra has several. Without
   * `clusterType`, the cluster is found by its name alone (`cluster_create`).
   */
  | { kind: 'cluster'; clusterType?: string; taskservs: string[]; cluster?: string }

export interface PlanEnv {
  workspace: string
  getAction: (provider: string, action: string) => ActionDefinition | undefined
  /** Servers this system created for this workspace and infra. */
  records: ServerRecord[]
}

/** Human-readable steps, and the operations that carry them out (each after the `plan` operation). */
export interface Plan {
  lines: string[]
  operations: OperationSpec[]
}

/** The id of the operation that loads, validates and plans; every other operation depends on it. */
export const PLAN_OPERATION = 'plan'

/** Host entry of the inventory operation: an address known now, or one to look up in the server records. */
export interface InventoryHost {
  name: string
  address?: string
  /** A target of the run: without an address the inventory fails; other hosts without one are left out. */
  required: boolean
  vars: Record<string, string | number | boolean>
}

export function inventoryPath(infraDir: string): string {
  return join(infraDir, '.provisio', 'inventory.yml')
}

class PlanBuilder {
  readonly lines: string[] = []
  readonly operations: OperationSpec[] = []
  readonly issues: string[] = []
  /** Set when a host has no address: the plan cannot say where to run. */
  missingAddress = false

  constructor(
    readonly loaded: LoadedInfra,
    readonly env: PlanEnv,
  ) {}

  record(name: string): ServerRecord | undefined {
    return this.env.records.find((record) => record.name === name)
  }

  action(provider: string, action: string): ActionDefinition | undefined {
    const found = this.env.getAction(provider, action)
    if (!found) this.issues.push(`provider "${provider}" with action "${action}" is not registered on this server`)
    return found
  }

  /** Operations creating the servers that neither exist (`address`) nor were created before; the ids of their record operations. */
  createServers(servers: ServerSettings[], wait: boolean): string[] {
    const recordIds: string[] = []
    for (const server of servers) {
      const record = this.record(server.name)
      if (server.address) {
        this.lines.push(`server ${server.name}: existing host ${server.address}, nothing to create`)
        continue
      }
      if (record) {
        this.lines.push(
          `server ${server.name}: already created (${record.provider} ${record.provider_id}, ${record.ip ?? 'no address yet'}), nothing to create`,
        )
        continue
      }
      const driver = serverDrivers.get(server.provider!)
      if (!driver) {
        this.issues.push(
          `server ${server.name}: provider "${server.provider}" cannot create servers (use one of ${[...serverDrivers.keys()].join(', ')}, or give its address)`,
        )
        continue
      }
      const claimId = `claim:${server.name}`
      const ref = { workspace: this.env.workspace, infra: this.loaded.infra, server: server.name }
      // One claim at a time per server: of two workflows planned before either created it, one creates it.
      this.operations.push({
        id: claimId,
        provider: 'workspace',
        action: 'claim',
        input: ref,
        dependsOn: [PLAN_OPERATION],
        concurrencyKey: `workspace-claim:${ref.workspace}:${ref.infra}:${ref.server}`,
      })
      let previous: string[] = [claimId]
      const steps = driver.createSteps(server, { wait })
      steps.forEach((step, index) => {
        const action = this.action(driver.provider, step.action)
        const checked = action?.input.safeParse(step.input)
        if (checked && !checked.success) {
          for (const issue of checked.error.issues) this.issues.push(`server ${server.name}: ${issue.path.join('.') || driver.provider}: ${issue.message}`)
        }
        const id = index === steps.length - 1 ? `create:${server.name}` : `create:${server.name}:${index + 1}`
        this.operations.push({ id, provider: driver.provider, action: step.action, input: step.input, dependsOn: previous })
        previous = [id]
      })
      this.lines.push(`server ${server.name}: create with ${steps.map((step) => step.describe).join(', then ')}${wait ? ', wait until ready' : ''}`)
      const recordId = `record:${server.name}`
      this.operations.push({
        id: recordId,
        provider: 'workspace',
        action: 'record',
        input: {
          ...ref,
          provider: driver.provider,
          from: `create:${server.name}`,
          ...(server.plan ? { plan: server.plan } : {}),
          ...(server.zone ? { zone: server.zone } : {}),
        },
        dependsOn: [`create:${server.name}`],
      })
      recordIds.push(recordId)
    }
    return recordIds
  }

  /** Ansible runs of the taskservs in order on `servers`, after an inventory operation that waits on `after`. */
  async runTaskservs(taskservs: TaskservSettings[], servers: ServerSettings[], operation: 'create' | 'delete', after: string[], creating: Set<string>) {
    const playbookRun = this.action('ansible', 'playbook.run')
    if (servers.length === 0) this.issues.push(`no servers to run ${taskservs.map((taskserv) => taskserv.name).join(', ')} on`)
    const targets = servers.map((server) => server.name)
    for (const server of servers) {
      const known = server.address ?? this.record(server.name)?.ip ?? undefined
      if (!known && !creating.has(server.name)) {
        this.missingAddress = true
        this.issues.push(`server ${server.name} has no address: give its \`address\` in ${this.loaded.settingsPath} or create it with servers/create`)
      }
    }
    // Every server of the infra goes in (runs are narrowed with `limit`), so that concurrent runs
    // on one infra write the same file rather than each other's subsets.
    const hosts: InventoryHost[] = this.loaded.settings.servers.map((server) => ({
      name: server.name,
      ...(server.address ? { address: server.address } : {}),
      required: targets.includes(server.name),
      vars: { ...(server.user ? { ansible_user: server.user } : {}), ...server.vars },
    }))
    const inventory = inventoryPath(this.loaded.infraDir)
    this.lines.push(`inventory ${inventory}: ${targets.join(', ')}`)
    this.operations.push({
      id: 'inventory',
      provider: 'workspace',
      action: 'inventory',
      input: { workspace: this.env.workspace, infra: this.loaded.infra, path: inventory, hosts },
      dependsOn: [PLAN_OPERATION, ...after],
    })
    let previous = 'inventory'
    for (const taskserv of taskservs) {
      const playbook = operation === 'delete' ? taskserv.remove_playbook : taskserv.playbook
      if (!playbook) {
        this.issues.push(`taskserv ${taskserv.name} has no remove_playbook in ${this.loaded.settingsPath}`)
        continue
      }
      const playbookPath = resolve(this.loaded.workspaceDir, playbook)
      if ((await kindOf(playbookPath)) !== 'file') this.issues.push(`taskserv ${taskserv.name}: playbook ${playbookPath} does not exist`)
      const input = {
        playbook: playbookPath,
        inventory,
        limit: targets,
        extraVars: { ...taskserv.vars, taskserv: taskserv.name, infra: this.loaded.infra },
        cwd: this.loaded.workspaceDir,
      }
      const checked = playbookRun?.input.safeParse(input)
      if (checked && !checked.success) this.issues.push(`taskserv ${taskserv.name}: ${checked.error.issues.map((issue) => issue.message).join('; ')}`)
      const id = `taskserv:${taskserv.name}`
      this.operations.push({ id, provider: 'ansible', action: 'playbook.run', input, dependsOn: [previous] })
      this.lines.push(`taskserv ${taskserv.name}: ${operation === 'delete' ? 'remove' : 'install'} with ansible-playbook ${playbook} on ${targets.join(', ')}`)
      previous = id
    }
  }

  finish(): Plan {
    if (this.issues.length) {
      throw new WorkspaceError(
        `cannot plan infra "${this.loaded.infra}" (${this.loaded.settingsPath}): ${this.issues.join('; ')}`,
        this.missingAddress ? 'missing_address' : 'invalid_plan',
      )
    }
    return { lines: this.lines, operations: this.operations }
  }
}

function selectServers(loaded: LoadedInfra, names: string[] | undefined): ServerSettings[] {
  return names ? loaded.settings.servers.filter((server) => names.includes(server.name)) : loaded.settings.servers
}

function findTaskservs(builder: PlanBuilder, names: string[]): TaskservSettings[] {
  const known = builder.loaded.settings.taskservs
  const found: TaskservSettings[] = []
  for (const name of names) {
    const taskserv = known.find((each) => each.name === name)
    if (taskserv) found.push(taskserv)
    else builder.issues.push(`taskserv "${name}" is not in ${builder.loaded.settingsPath} (taskservs: ${known.map((each) => each.name).join(', ') || 'none'})`)
  }
  return found
}

/**
 * Turns a request on a loaded infra into plan lines and engine operations. Anything that would
 * make the run fail for sure (unknown provider, unregistered action, invalid provider fields,
 * missing playbook, host without address) is a `WorkspaceError` listing every such issue.
 */
export async function planInfra(loaded: LoadedInfra, request: PlanRequest, env: PlanEnv): Promise<Plan> {
  const builder = new PlanBuilder(loaded, env)
  builder.lines.push(`infra ${loaded.infra} of workspace ${env.workspace} (${loaded.settingsPath})`)
  if (request.kind === 'servers') {
    if (loaded.settings.servers.length === 0) builder.lines.push('no servers listed: nothing to do')
    builder.createServers(loaded.settings.servers, request.wait)
  } else if (request.kind === 'taskserv') {
    const [taskserv] = findTaskservs(builder, [request.taskserv])
    if (taskserv) await builder.runTaskservs([taskserv], selectServers(loaded, taskserv.servers), request.operation, [], new Set())
  } else {
    const clusters = loaded.settings.clusters.filter(
      (cluster) =>
        (request.clusterType === undefined || cluster.type === request.clusterType) && (request.cluster === undefined || cluster.name === request.cluster),
    )
    const ofType = request.clusterType === undefined ? '' : ` of type "${request.clusterType}"`
    const wanted = request.cluster === undefined ? ofType.trimStart() : `"${request.cluster}"${ofType}`
    if (clusters.length === 0) builder.issues.push(`no cluster ${wanted} in ${loaded.settingsPath}`)
    // 004's request names a cluster type, not a cluster: with several, which one is ambiguous.
    if (clusters.length > 1)
      builder.issues.push(
        `several clusters of type "${request.clusterType}" in ${loaded.settingsPath} (${clusters.map((cluster) => cluster.name).join(', ')}): name one with \`cluster\``,
      )
    for (const cluster of clusters.slice(0, 1)) {
      builder.lines.push(`cluster ${cluster.name} (${cluster.type})`)
      const servers = selectServers(loaded, cluster.servers)
      const recordIds = builder.createServers(servers, true)
      const creating = new Set(recordIds.map((id) => id.slice('record:'.length)))
      await builder.runTaskservs(findTaskservs(builder, cluster.taskservs ?? request.taskservs), servers, 'create', recordIds, creating)
    }
  }
  return builder.finish()
}
