// Workflow scheduling cost: a 10,000-operation random DAG of no-op jobs on memory storage,
// against the cost of the same number of plain jobs measured in the same run.
import { pathToFileURL } from 'node:url'
import { z } from 'zod'
import { createEngine, defineProvider } from '@provisio/engine'
import { DependencyGraph } from '../packages/engine/src/dag'
import { validateWorkflow } from '../packages/engine/src/workflows/validate'
import type { OperationSpec } from '../packages/engine/src/workflows'

const OPERATIONS = 10_000
const ROUNDS = 5
const noop = defineProvider({ name: 'noop', actions: { run: { input: z.looseObject({}), run: () => null } } })

/** Each operation depends on up to three earlier ones, drawn at random (seeded): acyclic by construction. */
function randomDag(size: number, seed = 42): OperationSpec[] {
  let state = seed
  const random = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
  return Array.from({ length: size }, (_, index) => {
    const parents = new Set<string>()
    for (let n = Math.floor(random() * 4); n > 0 && index > 0; n--) parents.add(`op${Math.floor(random() * index)}`)
    return { id: `op${index}`, provider: 'noop', action: 'run', input: { n: index }, dependsOn: [...parents] }
  })
}

async function startEngine() {
  const engine = createEngine({ providers: [noop] })
  await engine.start()
  return engine
}

/** `labelled`: with the three labels every workflow job carries (`workflow`, `operation`, `attempt`), which the job store indexes. */
async function plainJobs(count: number, labelled = false): Promise<number> {
  const engine = await startEngine()
  const workflow = '00000000-0000-4000-8000-000000000000'
  const labels = (n: number) => (labelled ? { labels: { workflow, operation: `op${n}`, attempt: '1' } } : {})
  const started = performance.now()
  const jobs = await Promise.all(Array.from({ length: count }, (_, n) => engine.jobs.submit({ provider: 'noop', action: 'run', input: { n }, ...labels(n) })))
  await Promise.all(jobs.map((job) => engine.jobs.wait(job.id)))
  const elapsed = performance.now() - started
  await engine.stop()
  return elapsed
}

async function dagRun(operations: OperationSpec[]): Promise<{ submitMs: number; totalMs: number; status: string }> {
  const engine = await startEngine()
  const started = performance.now()
  const { id } = await engine.workflows.submit({ name: 'bench', operations })
  const submitMs = performance.now() - started
  const done = await engine.workflows.wait(id)
  const totalMs = performance.now() - started
  await engine.stop()
  return { submitMs, totalMs, status: done.status }
}

/** The median of `runs` timings (milliseconds): one garbage collection can double a single run. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function timed(runs: number, work: () => void): number {
  return median(
    Array.from({ length: runs }, () => {
      const started = performance.now()
      work()
      return performance.now() - started
    }),
  )
}

export async function benchWorkflows(): Promise<void> {
  const operations = randomDag(OPERATIONS)
  const edges = operations.reduce((sum, operation) => sum + operation.dependsOn!.length, 0)
  const getAction = (provider: string, action: string) => (provider === 'noop' && action === 'run' ? noop.actions.run : undefined)

  // Warm up the JIT on both paths before measuring.
  await plainJobs(1_000)
  await dagRun(randomDag(1_000, 7))
  validateWorkflow({ name: 'warm', operations }, getAction)

  const validationMs = timed(5, () => validateWorkflow({ name: 'bench', operations }, getAction))
  // Built once the workflow is taken over (submit, resume, retry), outside validation: part of the total below.
  const validated = validateWorkflow({ name: 'bench', operations }, getAction).operations
  const graphMs = timed(5, () => new DependencyGraph(validated))

  // Plain jobs and the workflow alternate, three times each: the machine is shared, compare the medians.
  const jobRuns: number[] = []
  const labelledRuns: number[] = []
  const dagRuns: { submitMs: number; totalMs: number; status: string }[] = []
  for (let round = 0; round < ROUNDS; round++) {
    jobRuns.push(await plainJobs(OPERATIONS))
    labelledRuns.push(await plainJobs(OPERATIONS, true))
    dagRuns.push(await dagRun(operations))
  }
  const jobsMs = median(jobRuns)
  const labelledMs = median(labelledRuns)
  const totalMs = median(dagRuns.map((run) => run.totalMs))
  const perJob = (jobsMs * 1000) / OPERATIONS
  const perOperation = (totalMs * 1000) / OPERATIONS
  const statuses = [...new Set(dagRuns.map((run) => run.status))].join(', ')

  const row = (label: string, value: string) => console.log(`  ${label.padEnd(50)} ${value}`)
  const each = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ')
  console.log(`workflows: ${OPERATIONS} operations, ${edges} dependency edges, random DAG of no-op jobs, memory storage`)
  row('validation (schema, DAG, inputs), median of 5', `${validationMs.toFixed(1)} ms   (goal < 200 ms)`)
  row('graphlib DependencyGraph build, median of 5', `${graphMs.toFixed(1)} ms   (in the total, not in validation)`)
  row('submit call (validate, graph, store, start)', `${median(dagRuns.map((run) => run.submitMs)).toFixed(1)} ms`)
  row(`total, submit to completed, median of ${ROUNDS}`, `${totalMs.toFixed(0)} ms   (${each(dagRuns.map((run) => run.totalMs))}; status ${statuses})`)
  row(`plain jobs, same count, median of ${ROUNDS}`, `${jobsMs.toFixed(0)} ms   (${each(jobRuns)})`)
  row(`plain jobs with a workflow job's 3 labels, median of ${ROUNDS}`, `${labelledMs.toFixed(0)} ms   (${each(labelledRuns)})`)
  const submitMs = median(dagRuns.map((run) => run.submitMs))
  const added = perOperation - perJob
  const addedAfterSubmit = ((totalMs - submitMs) * 1000) / OPERATIONS - perJob
  const times = (value: number) => `${(value / perJob).toFixed(2)}x a job's`
  row('per operation, submit to completed', `${perOperation.toFixed(1)} µs`)
  row('per plain job (all of it overhead: the job does nothing)', `${perJob.toFixed(1)} µs`)
  // What the workflow adds to each operation's job: validation, the graph, its child actor and
  // the machine's transitions, the DAG bookkeeping, state writes, the job's three labels.
  row('added by the workflow per operation', `${added.toFixed(1)} µs: ${times(added)}   (goal <= 2x)`)
  row('  of it after submit returns (scheduling)', `${addedAfterSubmit.toFixed(1)} µs: ${times(addedAfterSubmit)}`)
  row('  of it in the submit call (validate, graph, store)', `${((submitMs * 1000) / OPERATIONS).toFixed(1)} µs`)
  row('whole operation vs plain job', `${(perOperation / perJob).toFixed(2)}x`)
  const perLabelled = (labelledMs * 1000) / OPERATIONS
  row('whole operation vs plain job with the same labels', `${(perOperation / perLabelled).toFixed(2)}x`)
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await benchWorkflows()
