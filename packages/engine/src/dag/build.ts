import { alg, Graph } from '@dagrejs/graphlib'
import type { ValidationIssue } from '../errors'

export interface DagNodeSpec {
  id: string
  dependsOn: readonly string[]
}

export interface Dag {
  /** Node ids, every dependency before its dependents; ties keep declaration order. */
  order: string[]
  /** Direct dependents of each node. */
  children: Map<string, string[]>
}

export interface DagBuildResult {
  dag?: Dag
  issues: ValidationIssue[]
}

/**
 * Checks the dependency graph of `nodes` and reports every structural problem
 * at once: duplicate ids, unknown dependencies and cycles (each printed as a
 * path, `a -> b -> c -> a`). `dag` is present only when there is none.
 * `path(index)` names the offending node in issues (`operations.3`).
 *
 * The order comes from Kahn's algorithm over plain arrays: filling a graphlib
 * `Graph` costs about 20 µs per edge here (300 ms for a 10,000-operation
 * workflow), so graphlib is built only to explain a cycle (`findCycles`) and
 * for the rarer questions of `toGraph` users.
 */
export function buildDag(nodes: readonly DagNodeSpec[], path: (index: number) => string = String): DagBuildResult {
  const issues: ValidationIssue[] = []
  const position = new Map<string, number>()
  nodes.forEach((node, index) => {
    if (position.has(node.id)) issues.push({ path: `${path(index)}.id`, message: `duplicate id "${node.id}"` })
    else position.set(node.id, index)
  })
  const children: number[][] = nodes.map(() => [])
  const waiting = new Int32Array(nodes.length)
  nodes.forEach((node, index) => {
    if (position.get(node.id) !== index) return
    node.dependsOn.forEach((dependency, at) => {
      const parent = position.get(dependency)
      if (parent === undefined) {
        issues.push({ path: `${path(index)}.dependsOn.${at}`, message: `"${node.id}" depends on unknown id "${dependency}"` })
      } else if (!children[parent].includes(index)) {
        children[parent].push(index)
        waiting[index]++
      }
    })
  })
  const order: number[] = []
  position.forEach((index) => waiting[index] === 0 && order.push(index))
  for (let head = 0; head < order.length; head++) {
    for (const child of children[order[head]]) if (--waiting[child] === 0) order.push(child)
  }
  if (order.length < position.size) {
    for (const cycle of cyclePaths(toGraph(nodes))) issues.push({ path: 'operations', message: `dependency cycle ${cycle.join(' -> ')}` })
  }
  if (issues.length) return { issues }
  return {
    dag: {
      order: order.map((index) => nodes[index].id),
      children: new Map(nodes.map((node, index) => [node.id, children[index].map((child) => nodes[child].id)])),
    },
    issues,
  }
}

/** A graphlib graph of `nodes`, edges from each dependency to its dependent; unknown dependencies are left out. */
export function toGraph(nodes: readonly DagNodeSpec[]): Graph {
  const graph = new Graph({ directed: true })
  for (const node of nodes) graph.setNode(node.id)
  for (const node of nodes) for (const dependency of node.dependsOn) if (graph.hasNode(dependency)) graph.setEdge(dependency, node.id)
  return graph
}

/** One closed path per cycle of `graph`, starting and ending on the same node. */
export function cyclePaths(graph: Graph): string[][] {
  // Components come in no useful order: start each path on the node declared first.
  const position = new Map(graph.nodes().map((id, index) => [id, index]))
  return alg.findCycles(graph).map((component) => {
    const start = component.reduce((best, id) => (position.get(id)! < position.get(best)! ? id : best))
    return shortestCycleThrough(graph, new Set(component), start)
  })
}

/** Breadth-first search inside one strongly connected component, back to `start`. */
function shortestCycleThrough(graph: Graph, component: Set<string>, start: string): string[] {
  const cameFrom = new Map<string, string>()
  const queue = [start]
  for (let head = 0; head < queue.length; head++) {
    const current = queue[head]
    for (const next of graph.successors(current) ?? []) {
      if (!component.has(next)) continue
      if (next === start) {
        const path = [start]
        for (let step: string | undefined = current; step !== start && step !== undefined; step = cameFrom.get(step)) path.splice(1, 0, step)
        return [...path, start]
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, current)
        queue.push(next)
      }
    }
  }
  return [start, start]
}

/** Every node reachable from `id` along dependency edges (its dependents, their dependents, ...). */
export function dependentsOf(graph: Graph, id: string): string[] {
  return alg.preorder(graph, [id]).filter((node) => node !== id)
}
