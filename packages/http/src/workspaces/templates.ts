import { defineWorkflowTemplate, ValidationError, type WorkflowTemplate } from '@provisio/engine'
import { z } from 'zod'
import { entryName, relativePath } from './paths'
import { loadInfra } from './settings'
import { buildInfraWorkflow } from './submission'
import { DEFAULT_WORKSPACE, type Workspaces } from './workspaces'

/** 004's submission fields, shared by every workspace template. */
export const infraParams = z
  .object({
    workspace: entryName.default(DEFAULT_WORKSPACE),
    infra: entryName,
    /** The settings file, relative to the infra folder (`settings.yaml`, `config.json`). */
    settings: relativePath,
    /** Validate and plan only; the plan is the `plan` operation's output. */
    check_mode: z.boolean().default(false),
    /** Wait until each created server is ready. */
    wait: z.boolean().default(true),
  })
  .strict()

export const serversParams = infraParams
export const taskservParams = infraParams.extend({ taskserv: entryName, operation: z.enum(['create', 'delete']).default('create') }).strict()
export const clusterParams = infraParams
  .extend({
    operation: z.literal('create').default('create'),
    /** Which cluster of the type, when the infra has several. */
    cluster: entryName.optional(),
  })
  .strict()

/** `cluster_create` (seed 002's workflow type): a cluster of the infra found by its name, whatever its type. */
export const clusterCreateParams = infraParams
  .extend({
    settings: relativePath.default('settings.yaml'),
    cluster_name: entryName,
    /** 002's example parameter: when given, the number of servers the cluster lists (a mismatch is refused). */
    node_count: z.number().int().min(1).optional(),
  })
  .strict()

export const SERVERS_TEMPLATE = 'workspace.servers'
export const CLUSTER_CREATE_TEMPLATE = 'cluster_create'
export const TASKSERV_TEMPLATE = 'workspace.taskserv'

/** Template name of a cluster type: `cluster.<type>`. */
export function clusterTemplateName(type: string): string {
  return `cluster.${type}`
}

/** Cluster types this plugin ships, with the taskservs each installs when its cluster lists none. */
export const builtInClusterTypes: Record<string, { description: string; taskservs: string[] }> = {
  buildkit: { description: 'BuildKit build cluster: create its servers, then install buildkit on them', taskservs: ['buildkit'] },
  kubernetes: {
    description: 'Kubernetes cluster: create its servers, then install containerd and kubernetes on them',
    taskservs: ['containerd', 'kubernetes'],
  },
}

/**
 * A cluster template: creates the servers of the infra's cluster of that type, then runs its
 * taskservs in order on them (the cluster's own `taskservs`, else `taskservs` given here).
 */
export function defineClusterTemplate(workspaces: Workspaces, type: string, options: { description: string; taskservs: string[] }) {
  return defineWorkflowTemplate({
    name: clusterTemplateName(type),
    description: options.description,
    params: clusterParams,
    build: (params, { engine }) =>
      buildInfraWorkflow(engine, workspaces, 'cluster/create', params, {
        kind: 'cluster',
        clusterType: type,
        taskservs: options.taskservs,
        ...(params.cluster === undefined ? {} : { cluster: params.cluster }),
      }),
  })
}

/** The named cluster's type and server count, when the settings can be read and list it; the plan reports what is wrong otherwise. */
async function findCluster(
  workspaces: Workspaces,
  params: { workspace: string; infra: string; settings: string; cluster_name: string },
): Promise<{ type: string; servers: number } | undefined> {
  const loaded = await loadInfra(await workspaces.directory(params.workspace), params.infra, params.settings).catch(() => undefined)
  const cluster = loaded?.settings.clusters.find((each) => each.name === params.cluster_name)
  return cluster && { type: cluster.type, servers: cluster.servers?.length ?? loaded!.settings.servers.length }
}

/** The templates of the workspaces plugin: servers, taskservs, the built-in cluster types and `cluster_create`. */
export function workspaceTemplates(workspaces: Workspaces): WorkflowTemplate<any>[] {
  return [
    defineWorkflowTemplate({
      name: SERVERS_TEMPLATE,
      description: 'Create the servers of an infra through their providers (servers that exist or were created before are left alone)',
      params: serversParams,
      build: (params, { engine }) => buildInfraWorkflow(engine, workspaces, 'servers/create', params, { kind: 'servers', wait: params.wait }),
    }),
    defineWorkflowTemplate({
      name: TASKSERV_TEMPLATE,
      description: "Run a taskserv's playbook (or its remove_playbook) with ansible on the infra's servers",
      params: taskservParams,
      build: (params, { engine }) =>
        buildInfraWorkflow(engine, workspaces, `taskserv/${params.operation}`, params, {
          kind: 'taskserv',
          taskserv: params.taskserv,
          operation: params.operation,
        }),
    }),
    ...Object.entries(builtInClusterTypes).map(([type, options]) => defineClusterTemplate(workspaces, type, options)),
    defineWorkflowTemplate({
      name: CLUSTER_CREATE_TEMPLATE,
      description: "Create a cluster of an infra by its name: its servers, then its taskservs (its own list, else its type's)",
      params: clusterCreateParams,
      async build(params, { engine }) {
        const cluster = await findCluster(workspaces, params)
        if (params.node_count !== undefined && cluster !== undefined && cluster.servers !== params.node_count) {
          throw new ValidationError('node_count does not match the cluster', [
            { path: 'node_count', message: `cluster ${params.cluster_name} has ${cluster.servers} server(s) in its settings, not ${params.node_count}` },
          ])
        }
        const taskservs = cluster === undefined ? [] : (builtInClusterTypes[cluster.type]?.taskservs ?? [])
        return buildInfraWorkflow(engine, workspaces, 'cluster/create', params, { kind: 'cluster', cluster: params.cluster_name, taskservs })
      },
    }),
  ]
}
