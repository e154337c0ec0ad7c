import { randomBytes } from 'node:crypto'
import type { Engine, JobRecord } from '@provisio/engine'
import { ApiError } from '../../platform/errors'
import { MAX_TASK_LOGS, TaskView, type TartFacts } from './task-view'

export type TaskKindName = 'start_vm' | 'stop_vm' | 'delete_vm' | 'pull_vm' | 'clone_vm' | 'create_vm'

/** The tart adapter's action for each kind, unless the task says otherwise (a clone that also starts). */
const jobActions: Record<TaskKindName, string> = {
  start_vm: 'vm.run',
  stop_vm: 'vm.stop',
  delete_vm: 'vm.delete',
  pull_vm: 'vm.pull',
  clone_vm: 'vm.clone',
  create_vm: 'vm.create',
}

/** Labels that make a job a tartvm task. */
export const TASK_LABEL = 'tartvm.task'
const SURFACE_LABEL = { surface: 'tartvm' }

export function taskNotFound(): ApiError {
  return new ApiError(404, 'Task not found')
}

/**
 * Tasks are engine jobs of the tart provider, labelled with the task's own id (11 URL-safe
 * characters, as the real server's): they persist with the engine, survive a restart and show
 * in the orchestrator's task list like any other job.
 */
export class TaskService {
  constructor(
    private readonly engine: Engine,
    private readonly tart: () => TartFacts,
  ) {}

  async submit(kind: TaskKindName, input: Record<string, unknown>, action = jobActions[kind]): Promise<TaskView> {
    const id = randomBytes(8).toString('base64url')
    const job = await this.engine.jobs.submit({
      provider: 'tart',
      action,
      input,
      labels: { ...SURFACE_LABEL, [TASK_LABEL]: id, 'tartvm.action': kind },
    })
    return new TaskView(job, [], this.tart())
  }

  /** The job behind a task id. */
  async job(id: string): Promise<JobRecord> {
    const page = await this.engine.jobs.list({ label: { [TASK_LABEL]: id }, limit: 1 })
    const job = page.items[0]
    if (!job) throw taskNotFound()
    return job
  }

  /** A task as it is now, with its last 1,000 log lines. */
  async view(job: JobRecord): Promise<TaskView> {
    const tail: string[] = []
    let nextLine = Math.max(0, job.outputLines - MAX_TASK_LOGS)
    for await (const { seq, line } of this.engine.jobs.output(job.id, { from: nextLine })) {
      tail.push(line)
      nextLine = seq + 1
    }
    return new TaskView(job, tail, this.tart(), nextLine)
  }

  /** Pending and running tasks, oldest first. */
  async active(): Promise<TaskView[]> {
    const page = await this.engine.jobs.list({ label: SURFACE_LABEL, status: ['pending', 'running', 'retrying'], order: 'asc', limit: 100 })
    return Promise.all(page.items.map((job) => this.view(job)))
  }
}
