import { z } from 'zod'

export const vmSchema = z.object({
  name: z.string(),
  status: z.enum(['running', 'stopped', 'unknown']),
  ip_address: z.string().nullable(),
  source: z.string().nullable(),
  os: z.string().nullable(),
  cpu: z.number().nullable(),
  memory: z.string().nullable(),
  disk_size: z.union([z.number(), z.string()]).nullable(),
  display: z.string().nullable(),
})

export const vmConfigSchema = z.object({
  name: z.string(),
  cpu: z.number().nullable(),
  memory: z.string().nullable(),
  disk_size: z.string().nullable(),
  raw: z.record(z.string(), z.unknown()),
})

export const taskSchema = z.object({
  id: z.string(),
  action: z.string(),
  status: z.enum(['pending', 'running', 'completed', 'failed']),
  command: z.array(z.string()).nullable(),
  exit_code: z.number().nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  stderr: z.string().nullable(),
  created_at: z.number(),
  updated_at: z.number(),
  logs: z.array(z.string()),
  vm_name: z.string().optional(),
  oci_url: z.string().optional(),
})

export const pullBody = z.object({ oci_url: z.string().trim().min(1, 'oci_url must not be empty') })

/** The real server's optional start body: `vnc` is always on there; `extra_args` are more `tart run` options. */
export const startBody = z
  .object({ vnc: z.boolean().optional(), extra_args: z.array(z.string()).default([]) })
  .nullish()
  .transform((body) => body ?? { extra_args: [] as string[] })

export const cloneBody = z.object({ new_name: z.string().trim().min(1, 'new_name must not be empty'), start_after_clone: z.boolean().default(false) })

/** The real page's create form: a VM cloned from a pulled image, memory and disk in GB. */
export const createBody = z.object({
  name: z.string().trim().min(1),
  source_vm: z.string().trim().min(1),
  cpu: z.number().int().positive(),
  memory: z.number().int().positive(),
  disk_size: z.number().int().positive(),
})

export const configQuery = z.object({
  force_refresh: z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .optional()
    .transform((value) => value !== undefined && ['true', '1', 'yes', 'on'].includes(value)),
})

export const taskParams = z.object({ id: z.string().min(1) })

export const githubTokenBody = z.object({ token: z.string().nullish() })

/** `{vm_name}` and what follows it (`/config`, `/start` …): the handler reads it from the path, decoded once. */
export const vmTargetParams = z.object({
  target: z
    .string()
    .min(1)
    .describe('The VM name (OCI references with `/` and `:` allowed, raw or URL-encoded), then `/config`, `/start`, `/stop`, `/delete` or `/clone`'),
})
