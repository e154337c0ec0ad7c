import { alg, Graph } from '@dagrejs/graphlib'
import type { ValidationIssue } from '../errors'

export interface DagNodeSpec {
  id: string
  dependsOn: readonly string[]
}

export interface Dag {
  /** Node ids, every dependency before its dependents; ties keep declaration order. */
  order: string[]
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
 * The checks and the order run on plain arrays (Kahn's algorithm), not on a
 * graphlib `Graph`: filling one would take the whole validation budget of a
 * large workflow (docs/benchmarks.md), and `alg.topsort` neither keeps
 * declaration order between independent nodes nor survives a 10,000-long
 * chain (it recurses once per node). The workflow's `DependencyGraph` is
 * built from the validated nodes once the workflow is taken over; here
 * graphlib only explains cycles (`findCycles` on the nodes of the cycles).
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
    for (const cycle of cyclePaths(cycleGraph(nodes, position, children, waiting))) {
      issues.push({ path: 'operations', message: `dependency cycle ${cycle.join(' -> ')}` })
    }
  }
  if (issues.length) return { issues }
  return { dag: { order: order.map((index) => nodes[index].id) }, issues }
}

/** A graphlib graph of `nodes`, edges from each dependency to its dependent; unknown dependencies are left out. */
export function toGraph(nodes: readonly DagNodeSpec[]): Graph {
  const graph = new Graph({ directed: true })
  for (const node of nodes) graph.setNode(node.id)
  for (const node of nodes) for (const dependency of node.dependsOn) if (graph.hasNode(dependency)) graph.setEdge(dependency, node.id)
  return graph
}

/**
 * The graphlib graph of the nodes Kahn's algorithm could not order, less
 * those that merely hang below a cycle (peeled from the sinks up): what is
 * left are cycles and the paths between them, so `findCycles`, which
 * recurses along paths, never walks a long acyclic chain.
 */
function cycleGraph(nodes: readonly DagNodeSpec[], position: Map<string, number>, children: number[][], waiting: Int32Array): Graph {
  const stuck = [...position.values()].filter((index) => waiting[index] > 0)
  const inside = new Set(stuck)
  const outDegree = new Map(stuck.map((index) => [index, children[index].filter((child) => inside.has(child)).length]))
  const parents = new Map<number, number[]>(stuck.map((index) => [index, []]))
  for (const index of stuck) for (const child of children[index]) if (inside.has(child)) parents.get(child)!.push(index)
  const sinks = stuck.filter((index) => outDegree.get(index) === 0)
  for (let head = 0; head < sinks.length; head++) {
    inside.delete(sinks[head])
    for (const parent of parents.get(sinks[head])!) {
      const left = outDegree.get(parent)! - 1
      outDegree.set(parent, left)
      if (left === 0) sinks.push(parent)
    }
  }
  return toGraph(stuck.filter((index) => inside.has(index)).map((index) => nodes[index]))
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
