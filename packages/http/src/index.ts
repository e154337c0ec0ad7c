// Server
export { createServer } from './server'
export type { ServerOptions, ProvisioServer, RunningSurface } from './server'

// Surfaces
export { controlCenter, controlCenterSurface, controlCenterModule } from './surfaces/control-center'
export { orchestrator, orchestratorSurface, orchestratorModule } from './surfaces/orchestrator'
export { provisioning, provisioningSurface, provisioningModule } from './surfaces/provisioning'
export { tartvmModule, tartvmSurface } from './surfaces/tartvm'
export { cloudlabModule, cloudlabSurface } from './surfaces/cloudlab'
export type { CloudlabMailOptions, CloudlabOptions } from './surfaces/cloudlab'
export type { TartvmOptions } from './surfaces/tartvm'
export { surfaceModules, surfaceNames, findSurfaceModule } from './surfaces'

// Platform, for building surfaces
export { createSurfaceApp } from './platform/app'
export type { PlatformServices } from './platform/app'
export { defineRoute } from './platform/types'
export type {
  AuditNote,
  HttpMethod,
  RateLimitBucket,
  RouteContext,
  RouteDefinition,
  SurfaceDefinition,
  SurfaceMessages,
  SurfaceModule,
  WebSocketRoute,
} from './platform/types'
export { ApiError, toApiError } from './platform/errors'
export { engineErrorToApiError, toSurfaceError } from './platform/engine-errors'
export type { ApiErrorCode, ValidationIssue } from './platform/errors'
export { envelopeStyle, fastapiStyle, provisioningStyle } from './platform/error-styles'
export type { ResponseStyle } from './platform/error-styles'
export { resolvePlatform } from './platform/services'
export type { PlatformOptions } from './platform/services'
export type { ProviderStatus, SurfaceDeps } from './platform/surface-deps'
export { createRateLimits, defaultRateLimits } from './middleware/rate-limit'
export type { RateLimitConfig, RateLimits } from './middleware/rate-limit'
export { paginationQuery, setPaginationHeaders } from './middleware/pagination'
export { createOpenApiDocument } from './openapi/document'

// Live output: follow a job or workflow, stream it over WebSocket or SSE
export { batched, followJob, followWorkflow, liveEventStream, liveSocketHooks } from './live'
export type { FollowJobOptions, FollowOptions, JobStreamMessage, LiveEventStreamOptions, LiveSocketOptions, SocketClose, WorkflowStreamMessage } from './live'

// Identity, policies and audit log, to share one of each with your own code
export { createIdentity, AuthError, IdentityError } from './identity'
export type { Identity, IdentityOptions, Principal, Role, TokenPair, User } from './identity'
export { createPolicyStore, PolicyError } from './policies'
export type { Policy, PolicyDecision, PolicyRule, PolicyStore } from './policies'
export { createAuditLog } from './audit'
export type { AuditEntry, AuditLog, AuditQuery } from './audit'

// Workspaces: infra folders and settings, plans, server records, the engine plugin and its templates
export {
  workspaces,
  createWorkspaces,
  DEFAULT_WORKSPACE,
  serverRecords,
  loadInfra,
  infraSettings,
  planInfra,
  serverDrivers,
  registerServerDriver,
  serverDeletion,
  WorkspaceError,
  workspaceProvider,
  builtInClusterTypes,
  clusterTemplateName,
  defineClusterTemplate,
  SERVERS_TEMPLATE,
  TASKSERV_TEMPLATE,
  CLUSTER_CREATE_TEMPLATE,
} from './workspaces'
export type {
  CreateWorkspace,
  InfraSettings,
  LiveState,
  LoadedInfra,
  Plan,
  PlanRequest,
  ProviderStep,
  ServerDriver,
  ServerRecord,
  ServerRecords,
  WorkspaceInfo,
  Workspaces,
} from './workspaces'
