export {}
// Secret redaction (shared by every adapter)
export { createRedactor, secretKeyPattern, REDACTED } from './utils/redact'
export type { Redactor, RedactorOptions } from './utils/redact'

// Vultr
export { vultr, vultrProvider } from './vultr'
export type { VultrConfig, VultrOptions, VultrInstance, VultrOs, VultrPlan, VultrRegion } from './vultr'

// UpCloud
export { upcloud, upcloudProvider } from './upcloud'
export type {
  UpCloudConfig,
  UpCloudOptions,
  UpCloudIpAddress,
  UpCloudPlan,
  UpCloudServer,
  UpCloudServerState,
  UpCloudServerSummary,
  UpCloudStorageDevice,
  UpCloudTemplate,
  UpCloudZone,
} from './upcloud'

// HTTP client errors (Vultr, UpCloud)
export { HttpError, WaitTimeoutError } from './utils/http-error'

// Local tools: exec, ansible, tart
export { exec, execProvider, execConfigSchema, execRunInput, ExecError, inputsToEnv } from './exec'
export type { ExecConfig, ExecOptions, ExecRunInput, ExecRunResult } from './exec'
export { ansible, ansibleProvider, ansibleConfigSchema, playbookRunInput, playbookCheckInput, redactPlaybookInput, AnsibleError } from './ansible'
export type { AnsibleConfig, AnsibleOptions, AnsibleErrorCode, HostRecap, InventoryInput, PlaybookRunInput, PlaybookRunResult, PlaybookCheckInput, PlaybookCheckResult } from './ansible'
export { tart, tartProvider, tartConfigSchema, tartInputs, TartError } from './tart'
export type { TartConfig, TartOptions, TartErrorCode, TartRunResult, TartVmConfig, TartVmState, TartVmSummary } from './tart'
