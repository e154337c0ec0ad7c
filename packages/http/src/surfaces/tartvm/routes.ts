import type { H3Event } from 'h3'
import { z } from 'zod'
import { validateInput } from '../../middleware/validate'
import { fastapiStyle } from '../../platform/error-styles'
import { ApiError } from '../../platform/errors'
import { defineRoute, type RouteDefinition } from '../../platform/types'
import { vmNotFound, type Inventory } from './inventory'
import type { VmModel } from './models'
import type { TartvmPage } from './page'
import {
  cloneBody,
  configQuery,
  createBody,
  githubTokenBody,
  pullBody,
  startBody,
  taskParams,
  taskSchema,
  vmConfigSchema,
  vmSchema,
  vmTargetParams,
} from './schemas'
import { listCirruslabsImages } from './github-images'
import type { GithubTokenStore } from './settings'
import type { TartCli } from './tart-cli'
import type { TaskService } from './tasks'

export interface TartvmRouteDeps {
  inventory: Inventory
  tasks: TaskService
  tart: () => TartCli
  settings: GithubTokenStore
  page: TartvmPage | undefined
  token: () => string
  version: string
  /** Base URL of the GitHub REST API, for the images the page offers to pull. */
  githubApiUrl: string
}

/** Local routes: no rate limit (the page polls), tagged for the docs. */
const local = { rateLimit: false as const, tags: ['tartvm'] }

/** The `{vm_name:path}` part after `/api/vms/`, URL-decoded once: OCI names keep their `/` and `:`, sent raw or encoded. */
function vmPath(event: H3Event): string {
  const rest = event.url.pathname.slice('/api/vms/'.length)
  try {
    return decodeURIComponent(rest)
  } catch {
    throw new ApiError(404, 'VM not found')
  }
}

/** The real page's split: images pulled from a registry, and the VMs made from them. */
function isOciImage(vm: VmModel): boolean {
  const registries = ['ghcr.io', 'docker.io', 'gcr.io']
  return (
    (vm.source !== null && (vm.source.toUpperCase() === 'OCI' || registries.some((registry) => vm.source!.startsWith(registry)))) ||
    registries.some((registry) => vm.name.startsWith(`${registry}/`))
  )
}

export function tartvmRoutes(deps: TartvmRouteDeps): RouteDefinition[] {
  const { inventory, tasks } = deps
  const body = (schema: z.ZodType, value: unknown) => validateInput(schema, value, 'body', fastapiStyle)

  const vmActions: Record<string, (name: string, value: unknown) => Promise<unknown>> = {
    start: async (name, value) => {
      const { extra_args } = body(startBody, value) as z.output<typeof startBody>
      // Always with VNC, as the real server; the task completes without an IP when none appears.
      return (await tasks.submit('start_vm', { name, vnc: true, requireIp: false, extraArgs: extra_args })).toJSON()
    },
    stop: async (name) => (await tasks.submit('stop_vm', { name })).toJSON(),
    delete: async (name) => (await tasks.submit('delete_vm', { name })).toJSON(),
    clone: async (name, value) => {
      const request = body(cloneBody, value) as z.output<typeof cloneBody>
      const input = { source: name, name: request.new_name }
      // Cloned and started in one task, started as the start route does.
      const task = request.start_after_clone
        ? tasks.submit('clone_vm', { ...input, run: { vnc: true, requireIp: false } }, 'vm.create')
        : tasks.submit('clone_vm', input)
      return (await task).toJSON()
    },
  }

  return [
    defineRoute({
      method: 'GET',
      path: '/api/health',
      summary: 'Server status and version (no token)',
      auth: false,
      ...local,
      response: z.object({ status: z.literal('ok'), version: z.string() }),
      handler: () => ({ status: 'ok', version: deps.version }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/tart/version',
      summary: 'The installed tart version (`tart --version`); 503 when tart is not installed',
      ...local,
      response: z.object({ version: z.string() }),
      handler: async () => {
        const output = await deps.tart().run(['--version'], 10_000)
        if (output.exitCode !== 0) throw new ApiError(502, `tart --version failed: ${output.stderr.trim() || `exit code ${output.exitCode}`}`)
        return { version: output.stdout.trim() }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/vms',
      summary: 'The cached VM inventory',
      ...local,
      response: z.array(vmSchema),
      handler: () => inventory.list(),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/vms/refresh',
      summary: 'Refresh the inventory from tart (`tart list`, `tart ip`) and return it',
      ...local,
      audit: false,
      response: z.array(vmSchema),
      handler: async () => {
        await inventory.refresh()
        return inventory.list()
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/vms/categorized',
      summary: 'The inventory split into pulled OCI images and local VMs (the real page calls it)',
      ...local,
      response: z.object({ base_images: z.array(vmSchema), working_vms: z.array(vmSchema) }),
      handler: async () => {
        const vms = await inventory.list()
        return { base_images: vms.filter(isOciImage), working_vms: vms.filter((vm) => !isOciImage(vm)) }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/vms/available-images',
      summary: "cirruslabs' macOS images on GitHub (needs the GitHub token of the settings; empty without one, as the real server)",
      ...local,
      handler: ({ event }) => {
        const token = deps.settings.get()
        return token ? listCirruslabsImages(deps.githubApiUrl, token, event.req.signal) : []
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/vms/pull',
      summary: 'Pull a VM image from an OCI registry: answers the new task (pending)',
      ...local,
      body: pullBody,
      response: taskSchema,
      handler: async ({ body: request }) => (await tasks.submit('pull_vm', { name: request.oci_url })).toJSON(),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/vms/create',
      summary: 'Create a VM from a pulled image with CPU, memory (GB) and disk (GB): `tart clone`, then `tart set`; answers the new task (pending)',
      ...local,
      body: createBody,
      response: taskSchema,
      handler: async ({ body: request }) => {
        const input = { source: request.source_vm, name: request.name, cpu: request.cpu, memory: request.memory * 1024, diskSize: request.disk_size }
        return (await tasks.submit('create_vm', input)).toJSON()
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/vms/**:target',
      summary: 'One VM from the inventory (`/api/vms/{vm_name}`), or its config (`/api/vms/{vm_name}/config?force_refresh=true`)',
      description: 'VM names may be OCI references: `/` and `:` are accepted raw or URL-encoded.',
      ...local,
      params: vmTargetParams,
      query: configQuery,
      response: z.union([vmSchema, vmConfigSchema]),
      handler: async ({ event, query }) => {
        const target = vmPath(event)
        const vm = await inventory.get(target)
        if (vm) return vm
        if (target.endsWith('/config') && target.length > '/config'.length) return inventory.config(target.slice(0, -'/config'.length), query.force_refresh)
        throw vmNotFound()
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/vms/**:target',
      summary: 'Start, stop, delete or clone a VM (`/api/vms/{vm_name}/start|stop|delete|clone`): answers the new task (pending)',
      ...local,
      params: vmTargetParams,
      body: z.unknown(),
      response: taskSchema,
      handler: ({ event, body: value }) => {
        const target = vmPath(event)
        const slash = target.lastIndexOf('/')
        const verb = target.slice(slash + 1)
        if (slash <= 0 || !Object.hasOwn(vmActions, verb)) throw new ApiError(404, 'Not Found')
        return vmActions[verb](target.slice(0, slash), value)
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/tasks/active',
      summary: 'Pending and running tasks (the real page polls it)',
      ...local,
      response: z.array(taskSchema),
      handler: async () => (await tasks.active()).map((view) => view.toJSON()),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/tasks/:id',
      summary: 'A task: status, command, exit code, result, error, the last 1,000 log lines',
      ...local,
      params: taskParams,
      response: taskSchema,
      handler: async ({ params }) => (await tasks.view(await tasks.job(params.id))).toJSON(),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/settings/github-token',
      summary: 'Whether a GitHub token is set (masked)',
      ...local,
      response: z.object({ configured: z.boolean(), masked_token: z.string().nullable() }),
      handler: () => deps.settings.status(),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/settings/github-token',
      summary: 'Set (or, with an empty token, clear) the GitHub token, kept in a 0600 file',
      ...local,
      body: githubTokenBody,
      audit: false,
      handler: ({ body: request }) => {
        const token = request.token?.trim()
        deps.settings.set(token || undefined)
        return { status: 'success', message: token ? 'GitHub token configured successfully' : 'GitHub token cleared' }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/',
      summary: 'The de taartenfabriek web page, when the server was started with --tartvm-ui',
      auth: false,
      raw: true,
      ...local,
      handler: () => {
        if (!deps.page) throw new ApiError(404, 'No web page is configured: start the server with --tartvm-ui <checkout of de taartenfabriek>')
        return new Response(deps.page.render(deps.token()), { headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' } })
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/static/**:file',
      summary: "The web page's scripts and styles",
      auth: false,
      raw: true,
      ...local,
      handler: async ({ event }) => {
        const file = deps.page && (await deps.page.file(`static/${decodeURIComponent(event.url.pathname.slice('/static/'.length))}`))
        if (!file) throw new ApiError(404, 'Not Found')
        return file
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/appicon.png',
      summary: "The web page's icon",
      auth: false,
      raw: true,
      ...local,
      handler: async () => {
        const file = deps.page && (await deps.page.file('appicon.png'))
        if (!file) throw new ApiError(404, 'Not Found')
        return file
      },
    }),
  ]
}
