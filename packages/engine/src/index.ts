// Engine
export { createEngine, Engine } from './engine'
export type { EngineOptions, Plugin, PluginRoute, TemplateContext } from './engine'
export type { EngineEvents, EngineEventMap, EngineEventName, EngineEmitter } from './events'

// Providers and plugins
export { defineProvider } from './providers/define'
export type { ActionContext, ActionDefinition, Provider, ProviderDefinition, ResourceListContext } from './providers/types'
export type { RegisteredProvider } from './providers/registry'
export { definePlugin } from './plugins/define'

// Jobs
export { finalJobStatuses } from './jobs/types'
export type {
  JobsApi,
  OutputOptions,
  EngineHooks,
  JobHookContext,
  JobError,
  JobListQuery,
  JobRecord,
  JobStatus,
  JobSubmission,
  JobWait,
  OutputLine,
  Page,
  RetryPolicy,
} from './jobs/types'
export { jobMachine, JOB_MACHINE_VERSION, backoffDelay } from './machines/job'
export { claimsFor, createOwner } from './jobs/claims'
export type { ClaimKind, Claims, JobClaims } from './jobs/claims'
export type { JobWorker } from './jobs/worker'
export type { DispatchedRun, DispatchNode, JobDispatcher } from './jobs/dispatch/types'

// Workflows
export { finalWorkflowStatuses, settledOperationStatuses } from './workflows'
export type * from './workflows'
export { buildDag } from './dag'
export { defineWorkflowTemplate, TemplateRegistry } from './templates'
export type { TemplateSummary, WorkflowTemplate } from './templates'

// Storage
export { fsStorage } from './storage/fs'
export { lmdbDriver } from './storage/lmdb'
export { memoryStorage } from './storage/memory'
export type { FsStorageOptions } from './storage/fs'
export type { LmdbDriverOptions } from './storage/lmdb'
export { checkFsStorage, salvageFsStorage } from './storage/salvage'
export type { StorageCheckReport, StorageDamage, StorageSalvageReport } from './storage/salvage'

// Errors
export { ProvisioError, ValidationError, NotFoundError, EngineStateError, DataDirectoryLockedError, StorageCorruptionError } from './errors'
export type { ValidationIssue } from './errors'
