export { createWorkspaces, DEFAULT_WORKSPACE } from './workspaces'
export type { CreateWorkspace, Workspaces, WorkspaceInfo, WorkspacesOptions } from './workspaces'
export { serverRecords } from './records'
export type { ServerRecord, ServerRecords } from './records'
export { inlineInfra, INLINE_SETTINGS, loadInfra, infraSettings } from './settings'
export type { ClusterSettings, InfraSettings, LoadedInfra, ServerSettings, TaskservSettings } from './settings'
export { planInfra, inventoryPath, PLAN_OPERATION } from './plan'
export type { Plan, PlanEnv, PlanRequest } from './plan'
export { registerServerDriver, serverDrivers } from './server-drivers'
export type { CreateStep, LiveState, ProviderStep, ServerDriver } from './server-drivers'
export { serverDeletion } from './deletion'
export { WorkspaceError } from './errors'
export type { WorkspaceErrorCode } from './errors'
export { workspaceProvider } from './provider'
export { buildInfraWorkflow } from './submission'
export {
  builtInClusterTypes,
  CLUSTER_CREATE_TEMPLATE,
  clusterCreateParams,
  clusterParams,
  clusterTemplateName,
  defineClusterTemplate,
  infraParams,
  serversParams,
  SERVERS_TEMPLATE,
  taskservParams,
  TASKSERV_TEMPLATE,
  workspaceTemplates,
} from './templates'
export { workspaces } from './plugin'
