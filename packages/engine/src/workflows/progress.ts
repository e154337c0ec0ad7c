import type { Storage } from 'unstorage'
import { isSettled, workflowPercent, type LiveWorkflow } from './live'
import type { OperationRecord, WorkflowProgress } from './types'

const DURATIONS_KEY = 'workflows:durations'

interface Measure {
  count: number
  totalMs: number
}

/**
 * Measured job durations per provider and action: the basis of every ETA and
 * of the operation averages in `stats()`. Kept in memory, saved in one key
 * whenever a workflow settles.
 */
export class DurationStats {
  private measures?: Map<string, Measure>

  constructor(private readonly storage: Storage) {}

  async load(): Promise<void> {
    this.measures ??= new Map(Object.entries((await this.storage.getItem<Record<string, Measure>>(DURATIONS_KEY)) ?? {}))
  }

  record(provider: string, action: string, durationMs: number): void {
    const key = `${provider}.${action}`
    const measure = this.map().get(key)
    if (measure) {
      measure.count++
      measure.totalMs += durationMs
    } else {
      this.map().set(key, { count: 1, totalMs: durationMs })
    }
  }

  /** Average milliseconds of the same provider and action, if any was measured. */
  average(provider: string, action: string): number | undefined {
    const measure = this.map().get(`${provider}.${action}`)
    return measure?.count ? measure.totalMs / measure.count : undefined
  }

  byAction(): Record<string, { count: number; averageDurationMs: number }> {
    return Object.fromEntries([...this.map()].map(([key, { count, totalMs }]) => [key, { count, averageDurationMs: count ? totalMs / count : 0 }]))
  }

  async save(): Promise<void> {
    await this.storage.setItem(DURATIONS_KEY, Object.fromEntries(this.map()))
  }

  private map(): Map<string, Measure> {
    this.measures ??= new Map()
    return this.measures
  }
}

/**
 * Progress of a workflow. The ETA is the longer of two bounds built from the
 * measured durations of each unsettled operation's provider and action
 * (scaled by what is left of it): the critical path through the remaining
 * DAG, and the remaining work spread over `parallelLimit` slots.
 */
export function workflowProgress(live: LiveWorkflow, durations: DurationStats): WorkflowProgress {
  const { header } = live
  const operations = [...live.operations.values()]
  const running = operations.filter((operation) => operation.status === 'running')
  const currentStep = running.find((operation) => operation.step)?.step ?? running[0]?.id
  return {
    workflowId: header.id,
    status: header.status,
    progress: workflowPercent(live),
    ...(currentStep ? { currentStep } : {}),
    totalSteps: operations.length,
    completedSteps: live.settledCount,
    estimatedTimeRemaining: live.settledCount === operations.length ? 0 : estimateSeconds(live, operations, durations),
  }
}

function estimateSeconds(live: LiveWorkflow, operations: OperationRecord[], durations: DurationStats): number | null {
  const known = operations.map((operation) => durations.average(operation.provider, operation.action)).filter((ms) => ms !== undefined)
  if (!known.length) return null
  // Actions never measured yet count as the average of those that were.
  const fallback = known.reduce((sum, ms) => sum + ms, 0) / known.length
  const slots = live.header.parallelLimit ?? Infinity
  const tail = new Float64Array(operations.length)
  let critical = 0
  let totalWork = 0
  // Reverse topological order: each operation's dependents already have their tail.
  for (let i = operations.length - 1; i >= 0; i--) {
    const operation = operations[i]
    let own = 0
    if (!isSettled(operation.status)) {
      const runsLeft = operation.runs.filter((run) => !isSettled(run.status)).length
      const each = durations.average(operation.provider, operation.action) ?? fallback
      const work = operation.items ? each * runsLeft : each * (1 - operation.progress / 100)
      totalWork += work
      own = operation.items ? (each * runsLeft) / Math.min(runsLeft || 1, slots) : work
    }
    const after = Math.max(0, ...live.graph.dependents(i).map((dependent) => tail[dependent]))
    tail[i] = own + after
    critical = Math.max(critical, own + after)
  }
  return Math.round(Math.max(critical, totalWork / slots) / 10) / 100
}
