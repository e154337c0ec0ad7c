import { afterEach, describe, expect, it } from 'vitest'
import type { AnyActorRef, InspectionEvent } from 'xstate'
import { OPERATION_RUN, type OperationRunSnapshot } from '../../src/machines/workflow'
import { startHarness, step, type Harness } from './fixtures/steps'

let h: Harness
afterEach(() => h?.stop())

/** The operation ids (with `#item` for a batch) of a workflow machine's live operation-run children. */
function liveRuns(children: Record<string, AnyActorRef>): string[] {
  return Object.values(children)
    .filter((child) => child.src === OPERATION_RUN && child.getSnapshot().status === 'active')
    .map((child) => {
      const { operation, index } = (child.getSnapshot() as OperationRunSnapshot).input
      return operation.items ? `${operation.id}#${index}` : operation.id
    })
    .sort()
}

describe('workflows: operations as child actors', () => {
  it('should give each running operation a child actor of the workflow machine, never more than parallelLimit', async () => {
    const seen: { live: string[]; running: string[] }[] = []
    const running = new Set<string>()
    h = await startHarness({
      concurrency: 32,
      inspect: (event: InspectionEvent) => {
        // The workflow machine's own snapshots (its children are the operation runs).
        if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return
        const { children } = event.snapshot as unknown as { children: Record<string, AnyActorRef> }
        seen.push({ live: liveRuns(children), running: [...running].sort() })
      },
    })
    h.engine.on('workflow:operation', ({ operationId, status }) => {
      if (status === 'running') running.add(operationId)
      else running.delete(operationId)
    })
    const operations = [...Array.from({ length: 8 }, (_, index) => step(`s${index}`, { input: { ms: 20 } })), step('join', { dependsOn: ['s0', 's7'] })]
    const { id } = await h.workflows.workflows.submit({ name: 'actors', parallelLimit: 3, operations })
    expect((await h.workflows.workflows.wait(id)).status).toBe('completed')

    // Every snapshot: each live child is a running operation, at most 3 of them. (A run admitted
    // in a turn gets its child at the end of that turn, so a running operation may briefly have none.)
    for (const { live, running: runningThen } of seen) {
      for (const operation of live) expect(runningThen).toContain(operation)
      expect(live.length).toBeLessThanOrEqual(3)
    }
    expect(Math.max(...seen.map(({ live }) => live.length))).toBe(3)
    // Every operation ran as a child actor.
    expect([...new Set(seen.flatMap(({ live }) => live))].sort()).toEqual(operations.map((operation) => operation.id).sort())
    expect(seen.at(-1)!.live).toEqual([])
  })

  it('should spawn one child per batch item, within the admission window when there is no parallelLimit', async () => {
    let most = 0
    let spawningEvents = 0
    h = await startHarness({
      concurrency: 12,
      inspect: (event: InspectionEvent) => {
        if (event.actorRef.sessionId !== event.rootId) return
        if (event.type === '@xstate.event' && event.event.type === 'operations.admitted') spawningEvents++
        if (event.type !== '@xstate.snapshot') return
        most = Math.max(most, liveRuns((event.snapshot as unknown as { children: Record<string, AnyActorRef> }).children).length)
      },
    })
    const items = Array.from({ length: 40 }, (_, index) => ({ host: `web-${index}` }))
    const { id } = await h.workflows.workflows.submit({ name: 'batch', operations: [step('servers', { items })] })
    const done = await h.workflows.workflows.wait(id)
    expect(done.status).toBe('completed')
    expect(done.operations[0].runs).toHaveLength(40)
    // The default window is twice the engine's concurrency (at least 16 runs).
    expect(most).toBe(24)
    // Runs admitted in one turn are spawned by one transition: the first 24 by the first.
    expect(spawningEvents).toBeGreaterThan(0)
    expect(spawningEvents).toBeLessThanOrEqual(40 - 24 + 1)
  })

  it('should not persist the operation-run children in the machine snapshot', async () => {
    h = await startHarness()
    const { id } = await h.workflows.workflows.submit({ name: 'slow', operations: [step('a', { input: { ms: 2_000 } })] })
    await new Promise((resolve) => h.engine.once('job:progress', resolve))
    await h.workflows.workflows.cancel(id)
    await h.workflows.workflows.wait(id)
    const stored = (await h.engine.storage.getItem(`workflows:records:${id}`)) as { history: unknown[]; machine: { children: Record<string, unknown> } }
    expect(Object.keys(stored.machine.children)).toEqual([])
  })
})
