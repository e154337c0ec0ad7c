import { z } from 'zod'

/** The options of `jobs.submit` besides the input, which the action's own schema checks. */
export const jobSubmissionSchema = z.object({
  provider: z.string().min(1),
  action: z.string().min(1),
  input: z.unknown().optional(),
  timeoutMs: z.number().int().positive().optional(),
  retry: z
    .object({
      attempts: z.number().int().min(1).max(1000),
      backoffMs: z.number().int().min(0).optional(),
      factor: z.number().min(1).optional(),
      maxBackoffMs: z.number().int().min(0).optional(),
    })
    .optional(),
  concurrencyKey: z.string().min(1).optional(),
  labels: z.record(z.string().min(1), z.string()).optional(),
  undo: z.object({ result: z.unknown() }).optional(),
})
