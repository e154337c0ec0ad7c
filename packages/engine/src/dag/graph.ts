import { Graph } from '@dagrejs/graphlib'
import type { DagNodeSpec } from './build'

/**
 * A validated DAG and the questions a running workflow asks of it: what
 * depends on a node, what it depends on, and in which order a rollback undoes
 * nodes. Nodes are positions in `nodes` (0, 1, ...); callers map positions
 * back to their records. Each node's neighbours are plain arrays, filled once:
 * the graph does not change after it is built.
 */
export class DependencyGraph {
  private readonly dependentsOf: number[][]
  private readonly dependenciesOf: number[][]
  private graphlibGraph?: Graph

  /** `nodes` must be free of duplicates and unknown dependencies (as `buildDag` checks). */
  constructor(nodes: readonly DagNodeSpec[]) {
    this.dependentsOf = Array.from({ length: nodes.length }, () => [])
    this.dependenciesOf = Array.from({ length: nodes.length }, () => [])
    const position = new Map(nodes.map((node, index) => [node.id, index]))
    nodes.forEach((node, index) => {
      for (const dependency of node.dependsOn) {
        const from = position.get(dependency)!
        this.dependentsOf[from].push(index)
        this.dependenciesOf[index].push(from)
      }
    })
    for (const list of this.dependenciesOf) list.sort((a, b) => a - b)
  }

  /**
   * The DAG as a graphlib `Graph` of positions ("0", "1", ...), an edge from
   * each dependency to its dependent, for graphlib's algorithms. Built on
   * first use: the engine's own walks need only the arrays.
   */
  get graph(): Graph {
    if (!this.graphlibGraph) {
      const graph = new Graph({ directed: true })
      for (let position = 0; position < this.size; position++) graph.setNode(String(position))
      this.dependentsOf.forEach((dependents, from) => {
        for (const to of dependents) graph.setEdge(String(from), String(to))
      })
      this.graphlibGraph = graph
    }
    return this.graphlibGraph
  }

  get size(): number {
    return this.dependentsOf.length
  }

  /** Positions of the direct dependents of the node at `position`, ascending. Shared: do not modify. */
  dependents(position: number): readonly number[] {
    return this.dependentsOf[position]
  }

  /** Positions of the direct dependencies of the node at `position`, ascending. Shared: do not modify. */
  dependencies(position: number): readonly number[] {
    return this.dependenciesOf[position]
  }

  /** Positions of every node reachable from `position` (its dependents, theirs, ...), nearest first. */
  allDependents(position: number): number[] {
    const seen = new Set([position])
    const found: number[] = []
    for (let head = -1; head < found.length; head++) {
      for (const next of this.dependents(head < 0 ? position : found[head])) {
        if (seen.has(next)) continue
        seen.add(next)
        found.push(next)
      }
    }
    return found
  }

  /**
   * The order in which a rollback undoes `positions`: each node after every
   * one of its dependents, direct or not (Kahn's algorithm from the sinks,
   * over the whole graph so that paths through nodes left out still count).
   * Among nodes ready together, the one declared last goes first.
   */
  undoOrder(positions: Iterable<number>): number[] {
    const wanted = new Set(positions)
    const dependentsLeft = new Int32Array(this.size)
    const ready = new MaxHeap()
    for (let position = 0; position < this.size; position++) {
      dependentsLeft[position] = this.dependentsOf[position].length
      if (dependentsLeft[position] === 0) ready.push(position)
    }
    const order: number[] = []
    while (ready.size) {
      const position = ready.pop()
      if (wanted.has(position)) order.push(position)
      for (const dependency of this.dependencies(position)) if (--dependentsLeft[dependency] === 0) ready.push(dependency)
    }
    return order
  }
}

/** A binary max-heap of positions. */
class MaxHeap {
  private readonly items: number[] = []

  get size(): number {
    return this.items.length
  }

  push(value: number): void {
    const { items } = this
    let at = items.push(value) - 1
    while (at > 0) {
      const parent = (at - 1) >> 1
      if (items[parent] >= value) break
      items[at] = items[parent]
      at = parent
    }
    items[at] = value
  }

  pop(): number {
    const { items } = this
    const top = items[0]
    const last = items.pop()!
    if (items.length) {
      let at = 0
      for (;;) {
        const left = 2 * at + 1
        if (left >= items.length) break
        const child = left + 1 < items.length && items[left + 1] > items[left] ? left + 1 : left
        if (items[child] <= last) break
        items[at] = items[child]
        at = child
      }
      items[at] = last
    }
    return top
  }
}
