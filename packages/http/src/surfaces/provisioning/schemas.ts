import { z } from 'zod'
import { entryName, relativePath } from '../../workspaces/paths'
import { operationStatuses } from './views'
import { pageQuery } from './paging'

export const loginBody = z
  .object({
    username: z.string().min(1).max(200),
    password: z.string().min(1).max(1024),
    mfa_code: z
      .string()
      .regex(/^\d{6}$/, 'a 6-digit code')
      .optional()
      .describe('TOTP code, once MFA is enabled (extension)'),
  })
  .strict()

export const refreshBody = z.object({ refresh_token: z.string().min(1).max(4096) }).strict()

export const tokenAnswer = z.object({ token: z.string(), refresh_token: z.string(), expires_in: z.number().int() })

const workspaceFilter = entryName.optional().describe('Only this workspace')

export const workspacesQuery = pageQuery

export const workspaceBody = z
  .object({
    name: entryName,
    path: z.string().min(1).max(4096).optional().describe('Its directory, inside the workspaces root; `<root>/<name>` when omitted'),
    activate: z.boolean().default(false).describe("Make it the caller's active workspace"),
  })
  .strict()

export const serversQuery = pageQuery.extend({
  workspace: workspaceFilter,
  provider: z.string().min(1).max(100).optional().describe('Only servers of this provider'),
  status: z.string().min(1).max(50).optional().describe('Only servers in this live state (`running`, `stopped`, `pending`, `missing`, `unknown`...)'),
})

/** A server to create: 002's fields, plus where to record it and the provider's own fields. */
export const serverBody = z
  .object({
    workspace: entryName.optional().describe("The caller's active workspace when omitted"),
    infra: entryName.default('default').describe('Infra of the workspace the server is recorded under (extension)'),
    provider: z.string().min(1).max(100).describe('upcloud, vultr, tart, or a plugin provider with a server driver'),
    plan: z.string().min(1).max(200).optional(),
    hostname: entryName,
    zone: z.string().min(1).max(200).optional(),
    check_mode: z.boolean().default(false).describe('Validate and plan only: nothing is created'),
    tags: z.array(z.string().min(1).max(100)).max(50).optional(),
    wait: z.boolean().default(true).describe('The operation completes once the server is ready (extension)'),
    options: z
      .record(z.string(), z.unknown())
      .default({})
      .describe("The provider's own fields, as in an infra's settings (vultr `os_id`, upcloud `template`, tart `image`) (extension)"),
  })
  .strict()

export const serverParams = z.object({ id: z.string().min(1).max(200) })

export const serverDeleteBody = z
  .object({
    workspace: entryName.optional(),
    server_id: z.string().min(1).max(200).optional().describe('Must match the path when given'),
    force: z.boolean().default(false).describe("Forget the server even when its provider's delete fails"),
  })
  .strict()
  .optional()

export const taskservsQuery = pageQuery.extend({
  workspace: workspaceFilter,
  status: z.enum(operationStatuses).optional(),
})

export const taskservBody = z
  .object({
    workspace: entryName.optional(),
    infra: entryName.default('default').describe('Infra whose settings may list the taskserv and its servers (extension)'),
    settings: relativePath.default('settings.yaml').describe('Settings file of the infra, when it has one (extension)'),
    name: entryName,
    servers: z.array(entryName).min(1).max(500),
    config: z.record(z.string(), z.unknown()).default({}).describe('Extra variables of the playbook; `version` is shown in the list'),
    check_mode: z.boolean().default(false),
  })
  .strict()

export const taskservParams = z.object({ id: z.string().min(1).max(200) })

export const taskservDeleteBody = z
  .object({ workspace: entryName.optional(), taskserv_id: z.string().min(1).max(200).optional().describe('Must match the path when given') })
  .strict()
  .optional()

export const workflowBody = z
  .object({
    workspace: entryName.optional(),
    workflow_type: z.string().min(1).max(200).describe('A workflow template a plugin registered: `cluster_create`, `cluster.buildkit`...'),
    parameters: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()

export const idParams = z.object({ id: z.string().min(1).max(200) })

export const operationsQuery = pageQuery.extend({
  status: z.enum(operationStatuses).optional(),
  workspace: workspaceFilter,
  provider: z.string().min(1).max(100).optional(),
})

export const operationAnswer = z.object({
  id: z.string(),
  status: z.enum(operationStatuses),
  created_at: z.string(),
  updated_at: z.string(),
  result: z.unknown(),
  error: z.string().nullable(),
})
