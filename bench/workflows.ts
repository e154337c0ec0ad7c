// Workflow scheduling cost: a 10,000-operation random DAG of no-op jobs on memory storage,
// against the cost of the same number of plain jobs measured in the same run.
import { pathToFileURL } from 'node:url'
import { z } from 'zod'
import { createEngine, defineProvider } from '@provisio/engine'
import { toGraph } from '../packages/engine/src/dag'
import { validateWorkflow } from '../packages/engine/src/workflows/validate'
import type { OperationSpec } from '../packages/engine/src/workflows'

const OPERATIONS = 10_000
const noop = defineProvider({ name: 'noop', actions: { run: { input: z.looseObject({}), run: () => null } } })

/** Each operation depends on up to three earlier ones, drawn at random (seeded): acyclic by construction. */
function randomDag(size: number, seed = 42): OperationSpec[] {
  let state = seed
  const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
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

async function plainJobs(count: number): Promise<number> {
  const engine = await startEngine()
  const started = performance.now()
  const jobs = await Promise.all(Array.from({ length: count }, (_, n) => engine.jobs.submit({ provider: 'noop', action: 'run', input: { n } })))
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

export async function benchWorkflows(): Promise<void> {
  const operations = randomDag(OPERATIONS)
  const edges = operations.reduce((sum, operation) => sum + operation.dependsOn!.length, 0)
  const getAction = (provider: string, action: string) => (provider === 'noop' && action === 'run' ? noop.actions.run : undefined)

  // Warm up the JIT on both paths before measuring.
  await plainJobs(1_000)
  await dagRun(randomDag(1_000, 7))
  validateWorkflow({ name: 'warm', operations }, getAction)

  // The median of five: one garbage collection can double a single run.
  const validations = Array.from({ length: 5 }, () => {
    const started = performance.now()
    validateWorkflow({ name: 'bench', operations }, getAction)
    return performance.now() - started
  }).sort((a, b) => a - b)
  const validationMs = validations[2]
  // What filling a graphlib Graph of the same DAG would add to validation: why it is built lazily (docs/workflows.md).
  const graphBuilds = Array.from({ length: 5 }, () => {
    const started = performance.now()
    toGraph(operations.map((operation) => ({ id: operation.id, dependsOn: operation.dependsOn! })))
    return performance.now() - started
  }).sort((a, b) => a - b)

  const jobsMs = await plainJobs(OPERATIONS)
  const dag = await dagRun(operations)
  const perJob = (jobsMs * 1000) / OPERATIONS
  const perOperation = (dag.totalMs * 1000) / OPERATIONS

  const row = (label: string, value: string) => console.log(`  ${label.padEnd(46)} ${value}`)
  console.log(`workflows: ${OPERATIONS} operations, ${edges} dependency edges, random DAG of no-op jobs, memory storage`)
  row('validation (schema, DAG, inputs), median of 5', `${validationMs.toFixed(1)} ms   (goal < 200 ms)`)
  row('graphlib Graph of the same DAG, median of 5', `${graphBuilds[2].toFixed(1)} ms`)
  row('submit call (validate, store, queue first wave)', `${dag.submitMs.toFixed(1)} ms`)
  row('total, submit to completed', `${dag.totalMs.toFixed(0)} ms   (status ${dag.status})`)
  row('plain jobs, same count', `${jobsMs.toFixed(0)} ms`)
  row('per operation vs per plain job', `${perOperation.toFixed(1)} µs vs ${perJob.toFixed(1)} µs: ${(perOperation / perJob).toFixed(2)}x   (goal <= 2x)`)
  // What the workflow adds to each operation's job: DAG bookkeeping, state writes, events.
  row('scheduling overhead per operation', `${(perOperation - perJob).toFixed(1)} µs: ${((perOperation - perJob) / perJob).toFixed(2)}x a job's`)
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await benchWorkflows()
