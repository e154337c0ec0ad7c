import type { JobRecord } from '@provisio/engine'
import type { JobStreamMessage } from '../../live'
import { taskStatus, unixSeconds, type TaskModel } from './models'

/** The real server keeps this many log lines per task. */
export const MAX_TASK_LOGS = 1000

/** What each task kind runs and how its result reads; `input` is the job's input. */
interface TaskKind {
  command: (tart: string, input: Record<string, unknown>, stopTimeout: number) => string[]
  result: (input: Record<string, unknown>, result: Record<string, unknown>) => Record<string, unknown>
}

const nameOf = (input: Record<string, unknown>) => String(input.name)
const extraArgsOf = (input: Record<string, unknown>) => (Array.isArray(input.extraArgs) ? input.extraArgs.map(String) : [])

/** What a started VM reports: the tart adapter's `vm.run` result as the real server shows it. */
function started(run: Record<string, unknown>) {
  const ip = typeof run.ip_address === 'string' ? run.ip_address : null
  return { ip_address: ip, vnc_url: ip ? `vnc://${ip}` : null, pid: run.pid === undefined ? null : String(run.pid), log_path: run.log_path ?? null }
}

export const taskKinds: Record<string, TaskKind> = {
  start_vm: {
    command: (tart, input) => [tart, 'run', nameOf(input), '--no-graphics', '--vnc', ...extraArgsOf(input)],
    result: (input, result) => ({ message: `VM '${nameOf(input)}' started successfully`, ...started(result) }),
  },
  stop_vm: {
    command: (tart, input, stopTimeout) => [tart, 'stop', nameOf(input), '--timeout', String(input.timeout ?? stopTimeout)],
    result: (input, result) => ({ message: `VM '${nameOf(input)}' stopped successfully`, forced: result.forced === true }),
  },
  delete_vm: {
    command: (tart, input) => [tart, 'delete', nameOf(input)],
    result: (input) => ({ message: `VM '${nameOf(input)}' deleted successfully` }),
  },
  pull_vm: {
    command: (tart, input) => [tart, 'pull', nameOf(input)],
    result: (input) => ({ message: `VM image pulled successfully: ${nameOf(input)}` }),
  },
  clone_vm: {
    command: (tart, input) => [tart, 'clone', String(input.source), nameOf(input)],
    result: (input, result) => {
      const cloned = { message: `VM cloned successfully: ${nameOf(input)}`, new_vm_name: nameOf(input) }
      // A clone with start_after_clone ran `vm.create`, whose `run` is the start.
      const run = result.run as Record<string, unknown> | null | undefined
      return run ? { ...cloned, started: true, ...started(run) } : cloned
    },
  },
  create_vm: {
    command: (tart, input) => [tart, 'clone', String(input.source), nameOf(input)],
    result: (input) => ({
      message: `VM '${nameOf(input)}' created successfully from ${String(input.source)}`,
      name: nameOf(input),
      source: String(input.source),
      cpu: input.cpu,
      memory: `${Number(input.memory) / 1024}GB`,
      disk_size: `${String(input.diskSize)}GB`,
    }),
  },
}

/** How the surface describes its tart: the binary as configured, and `tart stop`'s default timeout. */
export interface TartFacts {
  binary: string
  stopTimeoutSeconds: number
}

const cleanMessage = (message: string) => message.replace(/^(\[[\w-]+\]\s*)+/, '')

/**
 * A task as 003 shows it, kept up to date from a job's record and its output lines: the last
 * 1,000 lines, and on failure the error as a last `[stderr] ` line and in `stderr`.
 */
export class TaskView {
  private logs: string[]
  private updatedAt: number

  /**
   * @param tail the job's last lines, up to line `nextLine` (excluded)
   */
  constructor(
    private job: JobRecord,
    tail: string[],
    private readonly tart: TartFacts,
    /** The line a follower continues from. */
    public nextLine = 0,
  ) {
    this.logs = tail.slice(-MAX_TASK_LOGS)
    this.updatedAt = Math.max(...[job.createdAt, job.startedAt, job.finishedAt].map((iso) => unixSeconds(iso) ?? 0))
  }

  /** Applies one message of `followJob`; returns whether the task changed. */
  apply(message: JobStreamMessage): boolean {
    if (message.type === 'line') {
      this.nextLine = message.seq + 1
      this.logs.push(message.line)
      if (this.logs.length > MAX_TASK_LOGS) this.logs.splice(0, this.logs.length - MAX_TASK_LOGS)
      this.updatedAt = Date.now() / 1000
      return true
    }
    const changed = message.job.status !== this.job.status
    this.job = message.job
    if (changed) this.updatedAt = Math.max(this.updatedAt, unixSeconds(message.job.finishedAt ?? message.job.startedAt) ?? 0)
    return changed
  }

  get finished(): boolean {
    const status = taskStatus(this.job.status)
    return status === 'completed' || status === 'failed'
  }

  toJSON(): TaskModel {
    const job = this.job
    const labels = job.labels
    const kind = labels['tartvm.action'] ?? job.action
    const describe = taskKinds[kind]
    const input = (job.input ?? {}) as Record<string, unknown>
    const status = taskStatus(job.status)
    const failed = status === 'failed'
    const error = failed ? cleanMessage(job.error?.message ?? 'the task failed') : null
    const logs = failed ? [...this.logs, `[stderr] ${error}`].slice(-MAX_TASK_LOGS) : this.logs
    const exitCode = status === 'completed' ? 0 : failed ? Number(/exit code (\d+)/.exec(error ?? '')?.[1] ?? Number.NaN) : Number.NaN
    return {
      id: labels['tartvm.task'] ?? job.id,
      action: kind,
      status,
      command: status === 'pending' || !describe ? null : describe.command(this.tart.binary, input, this.tart.stopTimeoutSeconds),
      exit_code: Number.isNaN(exitCode) ? null : exitCode,
      result: status === 'completed' && describe ? describe.result(input, (job.result ?? {}) as Record<string, unknown>) : null,
      error,
      stderr: error,
      created_at: unixSeconds(job.createdAt)!,
      updated_at: this.updatedAt,
      logs: [...logs],
      ...(kind === 'pull_vm' ? { oci_url: String(input.name) } : { vm_name: String(input.name) }),
    }
  }
}
