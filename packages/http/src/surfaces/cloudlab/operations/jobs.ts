import { randomUUID } from 'node:crypto'
import type { Engine, JobRecord, JobStatus } from '@provisio/engine'
import type { Identity, Principal } from '../../../identity'
import { ApiError } from '../../../platform/errors'
import { CLOUDLAB_PROVIDER } from './provider'

/** Labels that make an engine job a cloudlab job, and carry what its answers show. */
/** The labels of every cloudlab job, whichever part submits it: the jobs routes and the inventory's sync read them. */
export const cloudlabJobLabel = {
  surface: 'surface',
  id: 'cloudlab.job',
  service: 'cloudlab.service',
  action: 'cloudlab.action',
  script: 'cloudlab.script',
  userId: 'cloudlab.user_id',
  username: 'cloudlab.username',
} as const

/** A job as the real backend answers it; `started_by` is what the UI reads. */
export interface CloudlabJob {
  id: string
  service: string
  action: string
  script: string | null
  status: 'running' | 'completed' | 'failed'
  started_at: string
  finished_at: string | null
  output: string[]
  deployment_id: string | null
  user_id: string | null
  username: string | null
  started_by: string | null
}

export interface JobSubmission {
  service: string
  action: string
  script?: string
  /** The cloudlab provider's action and its input. */
  run: { action: string; input: Record<string, unknown> }
  principal: Principal
}

/** 001's three statuses: everything before the end is `running`, a cancelled job `failed`. */
export function cloudlabStatus(status: JobStatus): CloudlabJob['status'] {
  if (status === 'completed') return 'completed'
  if (status === 'failed' || status === 'cancelled') return 'failed'
  return 'running'
}

export const jobNotFound = () => new ApiError(404, 'Job not found')
export const jobForbidden = () => new ApiError(403, 'Permission denied')

const deploymentIdPattern = /DEPLOYMENT_ID=([\w-]+)/

/** The real backend's time format: `isoformat()` with `+00:00`. */
const isoTime = (iso: string | undefined) => (iso ? iso.replace(/Z$/, '+00:00') : null)

/**
 * Cloudlab jobs are engine jobs of the cloudlab provider, labelled with the real backend's
 * 8-hex id, the service, the action and who started it.
 */
export class CloudlabJobs {
  constructor(
    private readonly engine: Engine,
    private readonly identity: Identity,
  ) {}

  async submit(submission: JobSubmission): Promise<{ job_id: string; status: 'running' }> {
    const id = randomUUID().replaceAll('-', '').slice(0, 8)
    await this.engine.jobs.submit({
      provider: CLOUDLAB_PROVIDER,
      action: submission.run.action,
      input: submission.run.input,
      labels: {
        [cloudlabJobLabel.surface]: 'cloudlab',
        [cloudlabJobLabel.id]: id,
        [cloudlabJobLabel.service]: submission.service,
        [cloudlabJobLabel.action]: submission.action,
        ...(submission.script ? { [cloudlabJobLabel.script]: submission.script } : {}),
        [cloudlabJobLabel.userId]: submission.principal.userId,
        [cloudlabJobLabel.username]: submission.principal.username,
      },
    })
    return { job_id: id, status: 'running' }
  }

  /** The engine job behind a cloudlab id (the engine's own id works too). */
  async find(id: string): Promise<JobRecord> {
    const page = await this.engine.jobs.list({ label: { [cloudlabJobLabel.id]: id }, limit: 1 })
    const job = page.items[0] ?? (await this.engine.jobs.get(id))
    if (job?.labels[cloudlabJobLabel.surface] !== 'cloudlab') throw jobNotFound()
    return job
  }

  /** `jobs.view_all` sees every job, `jobs.view_own` the caller's own; undefined: neither. */
  scope(principal: Principal): 'all' | 'own' | undefined {
    if (this.identity.can(principal, 'jobs.view_all')) return 'all'
    if (this.identity.can(principal, 'jobs.view_own')) return 'own'
    return undefined
  }

  /** The job if the caller may see it; 404 for an unknown id, 403 `Permission denied` for someone else's. */
  async visible(principal: Principal, id: string): Promise<JobRecord> {
    const scope = this.scope(principal)
    const job = await this.find(id)
    if (scope === 'all' || (scope === 'own' && job.labels[cloudlabJobLabel.userId] === principal.userId)) return job
    throw jobForbidden()
  }

  async list(principal: Principal, filter: { service?: string; user_id?: string; username?: string; limit: number }): Promise<CloudlabJob[]> {
    const scope = this.scope(principal)
    if (!scope) return []
    const labels: Record<string, string> = { [cloudlabJobLabel.surface]: 'cloudlab' }
    if (filter.service) labels[cloudlabJobLabel.service] = filter.service
    if (filter.username) labels[cloudlabJobLabel.username] = filter.username
    if (filter.user_id) labels[cloudlabJobLabel.userId] = filter.user_id
    if (scope === 'own') {
      if (filter.user_id && filter.user_id !== principal.userId) return []
      labels[cloudlabJobLabel.userId] = principal.userId
    }
    const page = await this.engine.jobs.list({ label: labels, order: 'desc', limit: filter.limit })
    return Promise.all(page.items.map((job) => this.view(job)))
  }

  async lines(job: JobRecord): Promise<string[]> {
    const lines: string[] = []
    for await (const { line } of this.engine.jobs.output(job.id)) lines.push(line)
    return lines
  }

  /** The job in the real backend's shape, with its whole output. */
  async view(job: JobRecord): Promise<CloudlabJob> {
    const output = await this.lines(job)
    // An end the job's own steps did not write (a cancel, a restart) shows as the backend's last line.
    const unexplained = job.status === 'cancelled' || (job.status === 'failed' && !output.some((line) => /^\[(ERROR|EXIT CODE):/.test(line)))
    if (unexplained) output.push(`[ERROR: ${(job.error?.message ?? job.status).replace(/^(\[[\w-]+\]\s*)+/, '')}]`)
    return describeJob(job, output)
  }

  cancel(job: JobRecord): Promise<JobRecord> {
    return this.engine.jobs.cancel(job.id)
  }
}

/** A job's fields from its record and its output lines. */
function describeJob(job: JobRecord, output: string[]): CloudlabJob {
  const labels = job.labels
  const deployment = output.map((line) => deploymentIdPattern.exec(line)?.[1]).find((id) => id !== undefined)
  const username = labels[cloudlabJobLabel.username] ?? null
  return {
    id: labels[cloudlabJobLabel.id] ?? job.id,
    service: labels[cloudlabJobLabel.service] ?? '',
    action: labels[cloudlabJobLabel.action] ?? job.action,
    script: labels[cloudlabJobLabel.script] ?? null,
    status: cloudlabStatus(job.status),
    started_at: isoTime(job.startedAt ?? job.createdAt)!,
    finished_at: isoTime(job.finishedAt),
    output,
    deployment_id: deployment ?? null,
    user_id: labels[cloudlabJobLabel.userId] ?? null,
    username,
    started_by: username,
  }
}
