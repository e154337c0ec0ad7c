// Secret redaction (shared by every adapter)
export { createRedactor, secretKeyPattern, REDACTED } from './utils/redact'
export type { Redactor, RedactorOptions } from './utils/redact'

// Vultr
export { vultr, vultrProvider } from './vultr'
export type { VultrAccount, VultrConfig, VultrOptions, VultrInstance, VultrOs, VultrPlan, VultrRegion } from './vultr'

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

// Errors: every adapter throws a ProviderError (HTTP failures and waits that time out as its subclasses)
export { ProviderError, HttpError, WaitTimeoutError } from './utils/error'

// Local tools: exec, ansible, tart
export { exec, execProvider, execConfigSchema, execRunInput, inputsToEnv } from './exec'
export type { ExecConfig, ExecErrorCode, ExecOptions, ExecRunInput, ExecRunResult } from './exec'
export { ansible, ansibleProvider, ansibleConfigSchema, playbookRunInput, playbookCheckInput, redactPlaybookInput } from './ansible'
export type {
  AnsibleConfig,
  AnsibleOptions,
  AnsibleErrorCode,
  HostRecap,
  InventoryInput,
  PlaybookRunInput,
  PlaybookRunResult,
  PlaybookCheckInput,
  PlaybookCheckResult,
} from './ansible'
export { tart, tartProvider, tartConfigSchema, tartInputs, TART_STDERR_PREFIX } from './tart'
export type { TartConfig, TartOptions, TartErrorCode, TartRunResult, TartVmConfig, TartVmState, TartVmSummary } from './tart'
