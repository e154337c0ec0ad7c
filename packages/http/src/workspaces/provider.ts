import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { defineProvider, finalWorkflowStatuses, type Engine } from '@provisio/engine'
import { stringify as toYaml } from 'yaml'
import { z } from 'zod'
import { serverClaims } from './claims'
import { WorkspaceError } from './errors'
import { entryName } from './paths'
import { planInfra, type PlanRequest } from './plan'
import { serverDrivers } from './server-drivers'
import { inlineInfra, loadInfra } from './settings'
import type { Workspaces } from './workspaces'

export const planRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('servers'), wait: z.boolean() }),
  z.object({ kind: z.literal('taskserv'), taskserv: entryName, operation: z.enum(['create', 'delete']) }),
  z.object({ kind: z.literal('cluster'), clusterType: entryName.optional(), taskservs: z.array(entryName), cluster: entryName.optional() }),
]) satisfies z.ZodType<PlanRequest>

export const planInput = z.object({
  workspace: entryName,
  workspaceDir: z.string().min(1),
  infra: entryName,
  settings: z.string().min(1),
  /** Only plan (check mode): said in the output. */
  check: z.boolean().default(false),
  request: planRequest,
  /** Settings given with the request (servers and taskservs of the provisioning surface) in place of the settings file. */
  inline: z.unknown().optional(),
})

const serverInput = z.object({ workspace: entryName, infra: entryName, server: entryName })

const recordInput = serverInput.extend({
  // Checked when the record is made: plugins add drivers after this module loads.
  provider: z.string().refine((name) => serverDrivers.has(name), 'a provider with a server driver'),
  /** The operation of the same workflow whose result is the created server. */
  from: z.string().min(1),
  plan: z.string().min(1).optional(),
  zone: z.string().min(1).optional(),
})

const inventoryInput = z.object({
  workspace: entryName,
  infra: entryName,
  path: z.string().min(1),
  hosts: z.array(
    z.object({
      name: entryName,
      address: z.string().min(1).optional(),
      required: z.boolean(),
      vars: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    }),
  ),
})

export type PlanInput = z.input<typeof planInput>

/**
 * The `workspace` provider: `plan` loads and validates an infra and writes the plan as its
 * output; `claim` reserves a server for the workflow about to create it; `record` keeps a
 * created server in the server records (undo forgets it); `forget` removes the record of a
 * server deleted at its provider; `inventory` writes the ansible
 * inventory of an infra's servers, addresses resolved when it runs.
 */
export function workspaceProvider(engine: Engine, workspaces: Workspaces) {
  const claims = serverClaims(engine.storage)
  const workflowOf = async (jobId: string) => {
    const workflowId = (await engine.jobs.get(jobId))?.labels.workflow
    if (!workflowId) throw new Error('this action runs as an operation of a workflow')
    return workflowId
  }

  return defineProvider({
    name: 'workspace',
    description: 'Plans infras of workspaces, records the servers they create and writes their inventories',
    actions: {
      plan: {
        description: 'Load and validate an infra; the plan is the output and the result',
        idempotent: true,
        input: planInput,
        async run(ctx, input) {
          if (input.check) ctx.log('check mode: planning only, nothing is created')
          const loaded =
            input.inline === undefined
              ? await loadInfra(input.workspaceDir, input.infra, input.settings)
              : inlineInfra(input.workspaceDir, input.infra, input.inline)
          const records = await workspaces.servers.list({ workspace: input.workspace, infra: input.infra })
          const plan = await planInfra(loaded, input.request, {
            workspace: input.workspace,
            getAction: (provider, action) => engine.getAction(provider, action),
            records,
          })
          for (const line of plan.lines) ctx.log(line)
          return { plan: plan.lines, operations: plan.operations.map((operation) => operation.id) }
        },
      },
      claim: {
        description:
          'Reserve a server of an infra for this workflow before creating it; refuses one created or being created by another workflow since the plan',
        idempotent: true,
        input: serverInput,
        async run(ctx, input) {
          const workflowId = await workflowOf(ctx.jobId)
          const record = await workspaces.servers.get(input.workspace, input.infra, input.server)
          if (record) {
            throw new WorkspaceError(
              `server ${input.server} of infra "${input.infra}" was created meanwhile (${record.provider} ${record.provider_id}, workflow ${record.workflow_id ?? 'unknown'})`,
              'server_taken',
            )
          }
          const holder = await claims.holder(input.workspace, input.infra, input.server)
          if (holder && holder !== workflowId) {
            // A claim outlives a workflow that failed before recording: only a live one counts.
            const other = await engine.workflows.get(holder)
            if (other && !finalWorkflowStatuses.has(other.status))
              throw new WorkspaceError(`server ${input.server} of infra "${input.infra}" is being created by workflow ${holder}`, 'server_taken')
          }
          await claims.take(input.workspace, input.infra, input.server, workflowId)
          ctx.log(`claimed server ${input.server} for workflow ${workflowId}`)
          return { server: input.server, workflowId }
        },
        async undo(ctx, input, result) {
          await claims.release(input.workspace, input.infra, input.server, result.workflowId)
          ctx.log(`released server ${input.server}`)
          return { released: input.server }
        },
      },
      record: {
        description: 'Record a server created by another operation of the workflow (provider id and IP); undo removes the record',
        idempotent: true,
        input: recordInput,
        async run(ctx, input) {
          const workflowId = await workflowOf(ctx.jobId)
          const workflow = await engine.workflows.get(workflowId)
          const created = workflow?.operations.find((operation) => operation.id === input.from)
          if (created?.status !== 'completed') throw new Error(`operation "${input.from}" of this workflow has not completed: nothing to record`)
          const { providerId, ip } = serverDrivers.get(input.provider)!.identify(created.result, input.server)
          const record = {
            workspace: input.workspace,
            infra: input.infra,
            name: input.server,
            provider: input.provider,
            provider_id: providerId,
            ...(input.plan === undefined ? {} : { plan: input.plan }),
            ...(input.zone === undefined ? {} : { zone: input.zone }),
            ip,
            created_at: new Date().toISOString(),
            workflow_id: workflowId,
          }
          await workspaces.servers.put(record)
          await claims.release(input.workspace, input.infra, input.server, workflowId)
          ctx.log(`recorded server ${input.server}: ${input.provider} ${providerId}, ${ip ?? 'no address yet'}`)
          return record
        },
        async undo(ctx, input) {
          const removed = await workspaces.servers.remove(input.workspace, input.infra, input.server)
          ctx.log(removed ? `forgot server ${input.server}` : `server ${input.server} was not recorded`)
          return { removed }
        },
      },
      forget: {
        description: 'Remove the record of a server deleted at its provider',
        idempotent: true,
        input: serverInput,
        async run(ctx, input) {
          const removed = await workspaces.servers.remove(input.workspace, input.infra, input.server)
          ctx.log(removed ? `forgot server ${input.server}` : `server ${input.server} was not recorded`)
          return { server: input.server, removed }
        },
      },
      inventory: {
        description: "Write the ansible inventory (YAML) of an infra's servers",
        idempotent: true,
        input: inventoryInput,
        async run(ctx, input) {
          const hosts: Record<string, Record<string, string | number | boolean>> = {}
          for (const host of input.hosts) {
            const address = host.address ?? (await workspaces.servers.get(input.workspace, input.infra, host.name))?.ip
            if (!address && host.required) {
              throw new WorkspaceError(
                `server ${host.name} of infra "${input.infra}" has no address: give its \`address\` in settings or create it with servers/create`,
                'missing_address',
              )
            }
            if (!address) continue
            hosts[host.name] = { ansible_host: address, ...host.vars }
            ctx.log(`${host.name}: ${address}`)
          }
          await mkdir(dirname(input.path), { recursive: true })
          // Written aside and renamed: a playbook starting meanwhile never reads half a file.
          const partial = `${input.path}.${ctx.jobId}.tmp`
          await writeFile(partial, toYaml({ all: { hosts } }), { mode: 0o600 })
          await rename(partial, input.path)
          ctx.log(`wrote ${input.path}`)
          return { path: input.path, hosts: Object.keys(hosts) }
        },
      },
    },
  })
}
