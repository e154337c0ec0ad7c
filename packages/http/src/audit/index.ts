// Log
export { createAuditLog } from './log'
export type { AuditEntry, AuditInput, AuditLog, AuditLogOptions, AuditQuery, AuditResult } from './types'

// Errors
export { AuditError } from './errors'

// Redaction
export { redactSecrets } from './redact'

// Sampling of repeated refusals
export { createRefusalSampler } from './refusal-sampler'
export type { RefusalSampler, RefusalSamplerOptions } from './refusal-sampler'
