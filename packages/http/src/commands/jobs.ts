import { defineCommand } from 'citty'
import { clientArgs, ClientError, orchestratorClient } from './client/api'
import { shortTime, table } from './client/print'

interface Task {
  id: string
  kind: string
  name: string
  status: string
  created_at: string
  completed_at: string | null
  output: string | null
  error: string | null
  progress: number
}

const taskId = { id: { type: 'positional', description: 'Task id (a job or a workflow)', required: true } } as const
const finalExit: Record<string, number> = { Completed: 0, Failed: 1, Cancelled: 1 }

const listCommand = defineCommand({
  meta: { name: 'list', description: 'List tasks (jobs and workflows), newest first' },
  args: {
    ...clientArgs,
    status: { type: 'string', description: 'Only tasks in this status', valueHint: 'Pending|Running|Completed|Failed|Cancelled' },
    limit: { type: 'string', description: 'At most this many (default 50, max 1000)', valueHint: 'n' },
    offset: { type: 'string', description: 'Skip this many', valueHint: 'n' },
  },
  async run({ args }) {
    const client = orchestratorClient(args)
    const query = new URLSearchParams()
    for (const key of ['status', 'limit', 'offset'] as const) if (args[key] !== undefined) query.set(key, String(args[key]))
    const { data, headers } = await client.get<Task[]>(`/tasks${query.size ? `?${query}` : ''}`)
    if (args.json) return console.log(JSON.stringify(data, null, 2))
    console.log(
      table(
        ['ID', 'KIND', 'NAME', 'STATUS', 'CREATED', 'ERROR'],
        data.map((task) => [task.id, task.kind, task.name, task.status, shortTime(task.created_at), task.error ?? '']),
      ),
    )
    const total = Number(headers.get('x-total-count') ?? data.length)
    if (total > data.length) console.log(`(${data.length} of ${total}; --offset ${Number(headers.get('x-offset') ?? 0) + data.length} for more)`)
  },
})

const getCommand = defineCommand({
  meta: { name: 'get', description: 'Show one task' },
  args: { ...taskId, ...clientArgs },
  async run({ args }) {
    const { data } = await orchestratorClient(args).get<Task>(`/tasks/${encodeURIComponent(args.id)}`)
    if (args.json) return console.log(JSON.stringify(data, null, 2))
    console.log(
      table(
        ['FIELD', 'VALUE'],
        [
          ['id', data.id],
          ['kind', data.kind],
          ['name', data.name],
          ['status', data.status],
          ['progress', `${data.progress}%`],
          ['created', shortTime(data.created_at)],
          ['completed', shortTime(data.completed_at)],
          ['error', data.error ?? ''],
        ],
      ),
    )
  },
})

const logsCommand = defineCommand({
  meta: { name: 'logs', description: "Print a task's output; --follow keeps printing until it ends (exit 1 if it failed)" },
  args: { ...taskId, ...clientArgs, follow: { type: 'boolean', alias: 'f', description: 'Keep printing new lines until the task ends' } },
  async run({ args }) {
    const client = orchestratorClient(args)
    const path = `/tasks/${encodeURIComponent(args.id)}`
    if (!args.follow) {
      const { data } = await client.get<Task>(path)
      if (data.output) console.log(data.output)
      return
    }
    for await (const frame of client.events(`${path}/stream`)) {
      if (args.json) console.log(JSON.stringify(frame))
      else if (frame.event === 'output') console.log(frame.data.line)
      else if (frame.event === 'operation') console.error(`-- ${frame.data.id}: ${frame.data.status}`)
      if (frame.event === 'end') {
        if (!args.json) console.error(`-- ${frame.data.status}${frame.data.error ? `: ${frame.data.error}` : ''}`)
        process.exitCode = finalExit[frame.data.status] ?? 1
        return
      }
    }
    throw new ClientError('the stream ended before the task did (server stopping?)')
  },
})

const cancelCommand = defineCommand({
  meta: { name: 'cancel', description: 'Cancel a pending or running task' },
  args: { ...taskId, ...clientArgs },
  async run({ args }) {
    const task = await orchestratorClient(args).post<Task>(`/tasks/${encodeURIComponent(args.id)}/cancel`)
    console.log(args.json ? JSON.stringify(task, null, 2) : `${task.id} ${task.status}`)
  },
})

export const jobsCommand = defineCommand({
  meta: { name: 'jobs', description: 'Tasks of a running server (orchestrator surface): list, get, logs, cancel' },
  subCommands: { list: listCommand, get: getCommand, logs: logsCommand, cancel: cancelCommand },
})
