import type { Engine, JobRecord, WorkflowRecord } from '@provisio/engine'
import { jobStatusesOf, jobTask, workflowStatusesOf, workflowTask, type TaskStatus, type TaskView } from './views'

/** Lines of output a task carries in a list; its detail carries all of them. */
export const listOutputLines = 100

/** The engine's largest page, used to walk both sources. */
const chunk = 1000

type Entry = { kind: 'job'; job: JobRecord } | { kind: 'workflow'; workflow: WorkflowRecord }

const createdAt = (entry: Entry) => (entry.kind === 'job' ? entry.job.createdAt : entry.workflow.createdAt)
const idOf = (entry: Entry) => (entry.kind === 'job' ? entry.job.id : entry.workflow.id)

/** Newest first; ties broken by id so that pages never skip or repeat a task. */
function newerFirst(a: Entry, b: Entry): number {
  const byTime = createdAt(b).localeCompare(createdAt(a))
  return byTime !== 0 ? byTime : idOf(b).localeCompare(idOf(a))
}

async function collect(lines: AsyncIterable<{ line: string }>): Promise<string[]> {
  const out: string[] = []
  for await (const { line } of lines) out.push(line)
  return out
}

/** A job's output, or its last `last` lines. */
export function jobOutput(engine: Engine, job: JobRecord, last?: number): Promise<string[]> {
  if (job.outputLines === 0) return Promise.resolve([])
  const from = last === undefined ? 0 : Math.max(0, job.outputLines - last)
  return collect(engine.jobs.output(job.id, { from }))
}

/**
 * What a workflow's jobs logged, in operation order, each line tagged `[operation]`
 * (`[operation#item]` in a batch). With `last`, runs are read from the end until that many lines
 * are found, so a list of large workflows reads little.
 */
async function workflowOutput(engine: Engine, workflow: WorkflowRecord, last = Number.POSITIVE_INFINITY): Promise<string[]> {
  const runs = workflow.operations.flatMap((operation) =>
    operation.runs.map((run, item) => ({ jobId: run.jobId, tag: operation.items ? `[${operation.id}#${item}]` : `[${operation.id}]` })),
  )
  const blocks: string[][] = []
  let count = 0
  for (let index = runs.length - 1; index >= 0 && count < last; index--) {
    const { jobId, tag } = runs[index]
    const job = jobId ? await engine.jobs.get(jobId) : undefined
    if (!job) continue
    const lines = (await jobOutput(engine, job, Number.isFinite(last) ? last - count : undefined)).map((line) => `${tag} ${line}`)
    blocks.unshift(lines)
    count += lines.length
  }
  return blocks.flat()
}

/** The jobs of the operations that the job's operation depends on. */
function dependencyJobs(job: JobRecord, workflow: WorkflowRecord | undefined): string[] {
  const operation = workflow?.operations.find((each) => each.id === job.labels.operation)
  if (!workflow || !operation) return []
  return operation.dependsOn.flatMap((id) => workflow.operations.find((each) => each.id === id)?.runs.flatMap((run) => (run.jobId ? [run.jobId] : [])) ?? [])
}

async function jobView(engine: Engine, job: JobRecord, workflows: Map<string, Promise<WorkflowRecord | undefined>>, last?: number): Promise<TaskView> {
  const workflowId = job.labels.workflow
  let workflow: WorkflowRecord | undefined
  if (workflowId) {
    if (!workflows.has(workflowId)) workflows.set(workflowId, engine.workflows.get(workflowId))
    workflow = await workflows.get(workflowId)
  }
  return jobTask(job, await jobOutput(engine, job, last), dependencyJobs(job, workflow))
}

/**
 * A page of tasks: the engine's jobs and workflows merged newest first. Both sources are walked
 * in the engine's largest pages until the requested window is filled, so a deep `offset` costs
 * a walk but never a wrong page.
 */
export async function listTasks(engine: Engine, query: { status?: TaskStatus; limit: number; offset: number }): Promise<{ items: TaskView[]; total: number }> {
  const jobStatus = query.status ? jobStatusesOf[query.status] : undefined
  const workflowStatus = query.status ? workflowStatusesOf[query.status] : undefined
  const wanted = query.offset + query.limit
  const sources = {
    job: { offset: 0, total: 0, buffer: [] as Entry[], done: false },
    workflow: { offset: 0, total: 0, buffer: [] as Entry[], done: false },
  }
  const refill = async (kind: 'job' | 'workflow') => {
    const source = sources[kind]
    if (source.done || source.buffer.length) return
    const page =
      kind === 'job'
        ? await engine.jobs.list({ status: jobStatus, limit: chunk, offset: source.offset })
        : await engine.workflows.list({ status: workflowStatus, limit: chunk, offset: source.offset })
    source.total = page.total
    source.offset += chunk
    source.done = source.offset >= page.total
    source.buffer = page.items.map((item) => (kind === 'job' ? { kind, job: item as JobRecord } : { kind, workflow: item as WorkflowRecord }))
  }

  const merged: Entry[] = []
  while (merged.length < wanted) {
    await Promise.all([refill('job'), refill('workflow')])
    const next = [sources.job.buffer[0], sources.workflow.buffer[0]].filter(Boolean).sort(newerFirst)[0]
    if (!next) break
    sources[next.kind].buffer.shift()
    merged.push(next)
  }
  // Totals are known once each source has been read once.
  await Promise.all([refill('job'), refill('workflow')])

  const workflows = new Map<string, Promise<WorkflowRecord | undefined>>()
  const items = await Promise.all(
    merged
      .slice(query.offset)
      .map((entry) =>
        entry.kind === 'job'
          ? jobView(engine, entry.job, workflows, listOutputLines)
          : workflowOutput(engine, entry.workflow, listOutputLines).then((output) => workflowTask(entry.workflow, output)),
      ),
  )
  return { items, total: sources.job.total + sources.workflow.total }
}

/** A task by id, job or workflow, with its whole output; undefined when neither exists. */
export async function getTask(engine: Engine, id: string): Promise<TaskView | undefined> {
  const job = await engine.jobs.get(id)
  if (job) return jobView(engine, job, new Map())
  const workflow = await engine.workflows.get(id)
  if (workflow) return workflowTask(workflow, await workflowOutput(engine, workflow))
  return undefined
}
