import type { DurationStats } from './progress'
import type { WorkflowIndexEntry } from './store'
import type { EngineStats, RollbackResult, WorkflowStatus } from './types'

export interface StatsSources {
  index: WorkflowIndexEntry[]
  durations: DurationStats
  rollbacks: Pick<RollbackResult, 'success' | 'duration' | 'operationsExecuted' | 'operationsFailed'>[]
  checkpoints: number
}

/** Totals, success rates and average durations, from the indexes alone (no workflow record is read). */
export function workflowStats({ index, durations, rollbacks, checkpoints }: StatsSources): EngineStats {
  const byStatus: Record<WorkflowStatus, number> = { pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0, rolling_back: 0, rolled_back: 0 }
  for (const entry of index) byStatus[entry.status]++
  const finished = index.filter((entry) => entry.durationMs !== undefined && entry.status !== 'running' && entry.status !== 'rolling_back')
  const byAction = durations.byAction()
  const measured = Object.values(byAction)
  const operationCount = measured.reduce((sum, { count }) => sum + count, 0)
  const succeeded = rollbacks.filter((rollback) => rollback.success).length
  return {
    workflows: {
      total: index.length,
      active: byStatus.pending + byStatus.running + byStatus.rolling_back,
      byStatus,
      successRate: percent(byStatus.completed, byStatus.completed + byStatus.failed + byStatus.cancelled + byStatus.rolled_back),
      averageDurationMs: average(finished.map((entry) => entry.durationMs!)),
    },
    operations: {
      byAction,
      averageDurationMs: operationCount ? measured.reduce((sum, { count, averageDurationMs }) => sum + count * averageDurationMs, 0) / operationCount : 0,
    },
    rollbacks: {
      total: rollbacks.length,
      succeeded,
      failed: rollbacks.length - succeeded,
      successRate: percent(succeeded, rollbacks.length),
      averageDurationMs: average(rollbacks.map((rollback) => rollback.duration * 1000)),
      operationsExecuted: rollbacks.reduce((sum, rollback) => sum + rollback.operationsExecuted, 0),
      operationsFailed: rollbacks.reduce((sum, rollback) => sum + rollback.operationsFailed, 0),
    },
    checkpoints: { total: checkpoints },
  }
}

/** Share in percent, one decimal; 100 when there is nothing to count. */
function percent(part: number, whole: number): number {
  return whole ? Math.round((1000 * part) / whole) / 10 : 100
}

function average(values: number[]): number {
  return values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : 0
}
