import { z } from 'zod'

/**
 * Labels: an object of strings with non-empty names. Checked in one pass over
 * the keys, where `z.record` copies the object and runs two schemas per entry:
 * this runs on every job, and a workflow's jobs carry three labels each.
 */
export const labelsSchema = z.custom<Record<string, string>>().check((payload) => {
  const labels = payload.value as unknown
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
    payload.issues.push({ code: 'invalid_type', expected: 'record', input: labels, message: `Invalid input: expected record, received ${kindOf(labels)}` })
    return
  }
  for (const name in labels) {
    const value = (labels as Record<string, unknown>)[name]
    if (name === '') payload.issues.push({ code: 'custom', path: [name], input: value, message: 'Label names must not be empty' })
    if (typeof value !== 'string')
      payload.issues.push({
        code: 'invalid_type',
        expected: 'string',
        path: [name],
        input: value,
        message: `Invalid input: expected string, received ${kindOf(value)}`,
      })
  }
})

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
}

/** A job's retry policy; also an operation's, which the workflow validates with the same rules. */
export const retryPolicySchema = z.object({
  attempts: z.number().int().min(1).max(1000),
  backoffMs: z.number().int().min(0).optional(),
  factor: z.number().min(1).optional(),
  maxBackoffMs: z.number().int().min(0).optional(),
})

/** The options of `jobs.submit` besides the input, which the action's own schema checks. */
export const jobSubmissionSchema = z.object({
  provider: z.string().min(1),
  action: z.string().min(1),
  input: z.unknown().optional(),
  timeoutMs: z.number().int().positive().optional(),
  retry: retryPolicySchema.optional(),
  concurrencyKey: z.string().min(1).optional(),
  labels: labelsSchema.optional(),
  undo: z.object({ result: z.unknown() }).optional(),
})
