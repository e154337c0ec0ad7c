import { readFile } from 'node:fs/promises'
import { defineCommand } from 'citty'
import { parse as parseYaml } from 'yaml'
import { clientArgs, ClientError, orchestratorClient, type OrchestratorClient } from './client/api'
import { progressBar, shortTime, statusLine, table } from './client/print'

interface BatchOperation {
  id: string
  status: string
  progress: number
  error: string | null
}
interface Batch {
  batch_id: string
  name: string
  status: string
  progress: number
  created_at: string
  error: string | null
  operations: BatchOperation[]
}

const batchId = { id: { type: 'positional', description: 'Workflow (batch) id', required: true } } as const
const follow = { follow: { type: 'boolean', alias: 'f', description: 'Show progress until the workflow ends (exit 1 if it did not complete)' } } as const

function printBatch(batch: Batch): void {
  console.log(`${batch.batch_id}  ${batch.name}  ${batch.status}  ${batch.progress}%${batch.error ? `  ${batch.error}` : ''}`)
  console.log(
    table(
      ['OPERATION', 'STATUS', 'PROGRESS', 'ERROR'],
      batch.operations.map((operation) => [operation.id, operation.status, `${operation.progress}%`, operation.error ?? '']),
    ),
  )
}

/** Draws a progress bar from the workflow's stream until it ends; the exit code says whether it completed. */
async function followBatch(client: OrchestratorClient, id: string): Promise<void> {
  for await (const frame of client.events(`/tasks/${encodeURIComponent(id)}/stream`)) {
    if (frame.event === 'progress') statusLine(progressBar(frame.data.progress, frame.data.current_step ?? ''))
    if (frame.event === 'status') statusLine(progressBar(frame.data.progress, frame.data.status))
    if (frame.event === 'end') {
      statusLine(progressBar(frame.data.progress, frame.data.status))
      if (process.stdout.isTTY) process.stdout.write('\n')
      printBatch((await client.get<Batch>(`/batch/operations/${encodeURIComponent(id)}`)).data)
      if (frame.data.status !== 'Completed') process.exitCode = 1
      return
    }
  }
  throw new ClientError('the stream ended before the workflow did (server stopping?)')
}

const submitCommand = defineCommand({
  meta: {
    name: 'submit',
    description: "Submit a workflow from a YAML or JSON file in 004's batch format (name, operations, parallel_limit, rollback_enabled)",
  },
  args: { file: { type: 'positional', description: 'Workflow file', required: true }, ...clientArgs, ...follow },
  async run({ args }) {
    const text = await readFile(args.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new ClientError(`Cannot read ${args.file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`)
    })
    let body: unknown
    try {
      body = parseYaml(text)
    } catch (error) {
      throw new ClientError(`${args.file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`)
    }
    const client = orchestratorClient(args)
    const batch = await client.post<Batch>('/batch/execute', body)
    if (args.json && !args.follow) return console.log(JSON.stringify(batch, null, 2))
    console.log(batch.batch_id)
    if (args.follow) return followBatch(client, batch.batch_id)
  },
})

const getCommand = defineCommand({
  meta: { name: 'get', description: 'Show a workflow and its operations' },
  args: { ...batchId, ...clientArgs, ...follow },
  async run({ args }) {
    const client = orchestratorClient(args)
    if (args.follow) return followBatch(client, args.id)
    const { data } = await client.get<Batch>(`/batch/operations/${encodeURIComponent(args.id)}`)
    if (args.json) return console.log(JSON.stringify(data, null, 2))
    printBatch(data)
  },
})

const listCommand = defineCommand({
  meta: { name: 'list', description: 'List workflows (batches), newest first' },
  args: {
    ...clientArgs,
    status: { type: 'string', description: 'Only workflows in this status', valueHint: 'Pending|Running|Completed|Failed|Cancelled' },
    limit: { type: 'string', description: 'At most this many (default 50)', valueHint: 'n' },
  },
  async run({ args }) {
    const query = new URLSearchParams()
    for (const key of ['status', 'limit'] as const) if (args[key] !== undefined) query.set(key, String(args[key]))
    const { data } = await orchestratorClient(args).get<Batch[]>(`/batch/operations${query.size ? `?${query}` : ''}`)
    if (args.json) return console.log(JSON.stringify(data, null, 2))
    console.log(
      table(
        ['ID', 'NAME', 'STATUS', 'PROGRESS', 'CREATED'],
        data.map((batch) => [batch.batch_id, batch.name, batch.status, `${batch.progress}%`, shortTime(batch.created_at)]),
      ),
    )
  },
})

const cancelCommand = defineCommand({
  meta: { name: 'cancel', description: 'Cancel a running workflow (rolled back if it enabled rollback)' },
  args: { ...batchId, ...clientArgs },
  async run({ args }) {
    console.log(await orchestratorClient(args).post<string>(`/batch/operations/${encodeURIComponent(args.id)}/cancel`))
  },
})

const retryCommand = defineCommand({
  meta: { name: 'retry', description: 'Run the failed, skipped and cancelled operations of a workflow again' },
  args: { ...batchId, ...clientArgs, ...follow },
  async run({ args }) {
    const client = orchestratorClient(args)
    const batch = await client.post<Batch>(`/batch/operations/${encodeURIComponent(args.id)}/retry`)
    if (args.follow) return followBatch(client, batch.batch_id)
    console.log(`${batch.batch_id} ${batch.status}`)
  },
})

export const workflowsCommand = defineCommand({
  meta: { name: 'workflows', description: 'Workflows of a running server (orchestrator batches): submit, get, list, cancel, retry' },
  subCommands: { submit: submitCommand, get: getCommand, list: listCommand, cancel: cancelCommand, retry: retryCommand },
})
