import { z } from 'zod'
import { ApiError } from '../../../platform/errors'
import { defineRoute, type RouteDefinition } from '../../../platform/types'
import type { CloudlabJobs } from './jobs'
import { pathSegment, type ServiceCatalog } from './services'

const tags = ['services']

const serviceParams = z.object({ name: pathSegment })

const scalar = z.union([z.string(), z.number(), z.boolean()])
export const runBody = z.object({
  script: z.string().min(1),
  /** Text, numbers and booleans; `list` inputs as arrays (comma-joined into `INPUT_<NAME>`). */
  inputs: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'Input names are letters, digits, - and _'), z.union([scalar, z.array(scalar)]).nullable()).default({}),
})

const jobAnswer = z.object({ job_id: z.string(), status: z.literal('running') })

/** Input values as the exec adapter takes them: lists of strings, nulls left out. */
function envInputs(inputs: z.output<typeof runBody>['inputs']): Record<string, string | number | boolean | string[]> {
  const values: Record<string, string | number | boolean | string[]> = {}
  for (const [name, value] of Object.entries(inputs)) {
    if (value === null) continue
    values[name] = Array.isArray(value) ? value.map(String) : value
  }
  return values
}

/** Services: listing, detail, outputs, deploy, scripts, stop and stop-all. */
export function serviceRoutes(catalog: ServiceCatalog, jobs: CloudlabJobs): RouteDefinition[] {
  const describe = async (name: string) => ({ name, service_dir: catalog.require(name), scripts: await catalog.scripts(name) })

  return [
    defineRoute({
      method: 'GET',
      path: '/api/services',
      summary: 'Deployable services: folders with deploy.sh (or instance.yaml and main.yaml)',
      tags,
      permission: 'services.view',
      handler: async () => ({ services: await Promise.all((await catalog.names()).map(describe)) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/services/active-deployments',
      summary: 'Services with an active deployment (outputs/temp_inventory.yaml)',
      tags,
      permission: 'services.view',
      handler: async () => ({ deployments: (await catalog.names()).filter((name) => catalog.hasActiveDeployment(name)).map((name) => ({ name })) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/services/outputs',
      summary: "Every service's outputs (outputs/service_outputs.yaml)",
      tags,
      permission: 'services.view',
      handler: async () => {
        const outputs: Record<string, unknown[]> = {}
        for (const name of await catalog.names()) {
          const list = await catalog.outputs(name)
          if (list.length > 0) outputs[name] = list
        }
        return { outputs }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/services/:name',
      summary: 'A service with its parsed instance.yaml and its scripts',
      tags,
      permission: 'services.view',
      params: serviceParams,
      handler: async ({ params }) => ({ ...(await describe(params.name)), instance: await catalog.instanceConfig(params.name) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/services/:name/outputs',
      summary: "A service's outputs ({name, label, type, value})",
      tags,
      permission: 'services.view',
      params: serviceParams,
      handler: async ({ params }) => ({ outputs: await catalog.outputs(params.name) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/services/:name/deploy',
      summary: "Starts a deploy job: bash deploy.sh (or seed 000's: instance.yaml's Vultr instances, then main.yaml through ansible-playbook)",
      tags,
      permission: 'services.deploy',
      audit: 'service.deploy',
      resource: 'services/:name',
      params: serviceParams,
      response: jobAnswer,
      handler: async ({ params, principal, audit }) => {
        const dir = catalog.require(params.name)
        const kind = catalog.deployKind(dir)
        const file = kind === 'script' ? 'deploy.sh' : 'main.yaml'
        const job = await jobs.submit({
          service: params.name,
          action: 'deploy',
          principal: principal!,
          run: { action: 'service.run', input: { service: params.name, dir, kind, file, title: file } },
        })
        audit.details = { job_id: job.job_id }
        return job
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/services/:name/run',
      summary: 'Runs a scripts.yaml script; required inputs enforced, inputs passed as INPUT_<NAME>',
      tags,
      permission: 'services.deploy',
      audit: 'service.run_script',
      resource: 'services/:name',
      params: serviceParams,
      body: runBody,
      response: jobAnswer,
      handler: async ({ params, body, principal, audit }) => {
        const dir = catalog.dir(params.name)
        if (!dir) throw new ApiError(404, `Service '${params.name}' not found`)
        const script = (await catalog.scripts(params.name)).find((entry) => entry.name === body.script)
        if (!script) throw new ApiError(400, `Script '${body.script}' not found for service '${params.name}'`)
        const inputs = envInputs(body.inputs)
        // The real backend fills add-user's username with the caller's.
        if (params.name === 'add-user' && body.script === 'add-user' && inputs.username === undefined) inputs.username = principal!.username
        for (const input of script.inputs ?? []) {
          if (input.required && inputs[input.name] === undefined) throw new ApiError(400, `Missing required input: ${input.name}`)
        }
        catalog.scriptFile(params.name, script.file)
        const job = await jobs.submit({
          service: params.name,
          action: 'script',
          script: script.name,
          principal: principal!,
          run: { action: 'service.run', input: { service: params.name, dir, kind: 'script', file: script.file, title: script.name, inputs } },
        })
        audit.details = { script: script.name, job_id: job.job_id }
        return job
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/services/:name/stop',
      summary: "Starts a job destroying the service's Vultr instances (tagged with its name or labelled in its instance.yaml)",
      tags,
      permission: 'services.stop',
      audit: 'service.stop',
      resource: 'services/:name',
      params: serviceParams,
      response: jobAnswer,
      handler: async ({ params, principal, audit }) => {
        catalog.require(params.name)
        const job = await jobs.submit({
          service: params.name,
          action: 'stop',
          principal: principal!,
          run: { action: 'instances.stop', input: { scope: 'service', service: params.name, labels: await catalog.instanceLabels(params.name) } },
        })
        audit.details = { job_id: job.job_id }
        return job
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/services/actions/stop-all',
      summary: 'Starts a job destroying every Vultr instance',
      tags,
      permission: 'system.stop_all',
      audit: 'system.stop_all',
      resource: 'instances',
      response: jobAnswer,
      handler: async ({ principal, audit }) => {
        const job = await jobs.submit({ service: 'all', action: 'stop_all', principal: principal!, run: { action: 'instances.stop', input: { scope: 'all' } } })
        audit.details = { job_id: job.job_id }
        return job
      },
    }),
  ]
}
