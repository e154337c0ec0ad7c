import { cloudlabJobLabel } from '../operations/jobs'
import type { JobRecord, JobStatus } from '@provisio/engine'
import type { Hooks } from 'crossws'
import type { H3Event } from 'h3'
import type { Principal } from '../../../identity'
import { followJob, liveSocketHooks, type JobStreamMessage } from '../../../live'
import { toSurfaceError } from '../../../platform/engine-errors'
import { ApiError } from '../../../platform/errors'
import { fastapiStyle } from '../../../platform/error-styles'
import type { WebSocketRoute } from '../../../platform/types'
import { isTerminalAction, runAction } from './actions'
import { auditInventory, type InventoryDeps } from './deps'
import { findSshCredentials } from './ssh-credentials'
import { sshTerminalHooks } from './ssh-terminal'

/**
 * CloudLab closes these sockets before `accept()` (4001 bad token or permission, 4002 bad login
 * name, 4004 unknown object or host; reference §7), which uvicorn answers as an HTTP 403 refusing
 * the handshake: the same here, before the upgrade, with the reason as `{"detail"}`.
 */
const refused = (reason: string) => new ApiError(403, reason)

/** CloudLab's three job states. */
const cloudlabStatus = (status: JobStatus) => (status === 'completed' ? 'completed' : status === 'failed' || status === 'cancelled' ? 'failed' : 'running')

/** `{type:'job'}` with the job as it is, `{type:'output'}` per line from the first, `{type:'status'}` with the final state. */
function jobFrame(message: JobStreamMessage): string | undefined {
  if (message.type === 'line') return JSON.stringify({ type: 'output', data: message.line })
  if (message.type === 'end') return JSON.stringify({ type: 'status', job_id: message.job.id, status: cloudlabStatus(message.job.status) })
  return JSON.stringify({ type: 'job', job_id: message.job.id, status: cloudlabStatus(message.job.status) })
}

const sshUser = /^[a-zA-Z0-9._-]{1,32}$/

/**
 * The inventory's WebSockets (token in `?token=` or the Authorization header): the seed's
 * `/api/inventory/ws/{id}/action` (an action's live output, or the SSH terminal of the object's
 * host), and the real backend's SSH paths by object and by host name.
 */
export function inventorySockets(deps: InventoryDeps): WebSocketRoute[] {
  const { context, store, access } = deps
  const { engine, identity } = context.deps
  const runner = { engine, servicesDir: context.servicesDir }

  /** A terminal to `hostname`, once the login name and the permission are checked. */
  async function terminal(
    event: H3Event,
    principal: Principal,
    hostname: string,
    allowed: boolean,
    resource: string,
    auditAction = 'inventory.server.ssh',
  ): Promise<Partial<Hooks>> {
    if (!allowed) throw refused('Permission denied: SSH access')
    const user = event.url.searchParams.get('user') || undefined
    if (user !== undefined && !sshUser.test(user)) throw refused('Invalid username format')
    await auditInventory(deps, { principal, action: auditAction, resource, details: user ? { ssh_user: user } : {}, event })
    return sshTerminalHooks({ hostname, user, credentials: () => findSshCredentials(context.servicesDir, hostname) })
  }

  const sshAllowed = (principal: Principal) => identity.can(principal, 'instances.ssh') || identity.can(principal, 'inventory.server.ssh')
  const objectId = (event: H3Event) => {
    const id = Number(event.context.params?.id)
    return Number.isSafeInteger(id) && id > 0 ? id : undefined
  }

  function following(job: JobRecord): Partial<Hooks> {
    return liveSocketHooks<JobStreamMessage>({
      source: (signal) => followJob(engine, job.id, { signal }),
      format: jobFrame,
      keepalive: { intervalMs: 30_000, message: JSON.stringify({ type: 'ping' }) },
    })
  }

  return [
    {
      path: '/api/inventory/ws/:id/action',
      summary:
        "An object's action over a WebSocket: `?job=<id>` follows a job the action route started; `?action=<name>` runs the action and streams its output ({type:'job'}, {type:'output',data}, {type:'status'}); the ssh action (the default) opens the host's terminal",
      authRefusalStatus: 403,
      async hooks(event, principal) {
        const id = objectId(event)
        const object = id === undefined ? undefined : await store.getObject(id)
        const type = object && (await deps.types.get(object.type))
        if (!object || !type) throw refused('Object not found')
        const jobId = event.url.searchParams.get('job')
        if (jobId) {
          const job = await engine.jobs.get(jobId).catch(() => undefined)
          if (!job || job.labels.object_id !== String(object.id)) throw refused('Job not found')
          if (!(await access.object(principal!, object, job.labels[cloudlabJobLabel.action] ?? 'view'))) throw refused('Permission denied')
          return following(job)
        }
        const name = event.url.searchParams.get('action') || 'ssh'
        const action = type.actions.find((candidate) => candidate.name === name)
        if (name === 'ssh' || (action && isTerminalAction(action))) {
          const hostname = typeof object.data.hostname === 'string' ? object.data.hostname : ''
          if (!hostname) throw refused('No hostname for this object')
          const allowed = sshAllowed(principal!) || (await access.object(principal!, object, name))
          return terminal(event, principal!, hostname, allowed, `inventory/${type.slug}/${object.id}`)
        }
        if (!action) throw refused(`Action '${name}' not found`)
        if (!(await access.object(principal!, object, name))) throw refused('Permission denied')
        try {
          const job = await runAction(runner, { type, action, object, principal: principal!, script: event.url.searchParams.get('script') })
          await auditInventory(deps, {
            principal: principal!,
            action: `inventory.action.${name}`,
            resource: `inventory/${type.slug}/${object.id}`,
            details: { action: name, job_id: job.id },
            event,
          })
          return following(job)
        } catch (error) {
          // Refused like the rest, with the engine's own status (a script that is not there is 404).
          throw toSurfaceError(error, fastapiStyle)
        }
      },
    },
    {
      path: '/api/inventory/server/:id/ssh',
      summary:
        "SSH terminal to a server object's `data.hostname` (instances.ssh or inventory.server.ssh); messages connected/output/error out, input/resize in",
      authRefusalStatus: 403,
      async hooks(event, principal) {
        const id = objectId(event)
        const object = id === undefined ? undefined : await store.getObject(id)
        if (!object) throw refused('Object not found')
        const hostname = typeof object.data.hostname === 'string' ? object.data.hostname : ''
        if (!hostname) throw refused('No hostname for this object')
        return terminal(event, principal!, hostname, sshAllowed(principal!), `inventory/server/${hostname}`)
      },
    },
    {
      path: '/api/inventory/server/ssh/:hostname',
      summary: "SSH terminal to a host named in a service's outputs/temp_inventory.yaml (instances.ssh or inventory.server.ssh)",
      authRefusalStatus: 403,
      async hooks(event, principal) {
        const hostname = decodeURIComponent(event.context.params?.hostname ?? '')
        return terminal(event, principal!, hostname, sshAllowed(principal!), `inventory/server/${hostname}`)
      },
    },
    {
      path: '/api/instances/ssh/:hostname',
      summary: 'SSH terminal to an instance (instances.ssh), as /api/inventory/server/ssh/{hostname}',
      authRefusalStatus: 403,
      async hooks(event, principal) {
        const hostname = decodeURIComponent(event.context.params?.hostname ?? '')
        return terminal(event, principal!, hostname, identity.can(principal!, 'instances.ssh'), `instances/${hostname}`, 'instance.ssh')
      },
    },
  ]
}
