import { Graph } from '@dagrejs/graphlib'
import type { DagNodeSpec } from './build'

/**
 * A validated DAG as a graphlib `Graph` (an edge from each node to each of its
 * dependents), and the questions a running workflow asks of it, answered from
 * that graph: what depends on a node, what it depends on, and in which order
 * a rollback undoes nodes.
 *
 * Node names are positions in `nodes` ("0", "1", ...), not the nodes' own
 * ids: graphlib keeps each node's neighbours in plain objects keyed by
 * neighbour name, and integer-like names are stored as array indices, where
 * every new id would be a new property name (a V8 hidden-class transition).
 * Callers map positions back to their records.
 *
 * graphlib's `alg.topsort` and `alg.preorder` recurse once per node of a path
 * and overflow the stack on a 10,000-long chain: the walks here iterate over
 * `successors`/`predecessors` instead.
 */
export class DependencyGraph {
  readonly graph: Graph = new EdgeDictionaryGraph({ directed: true })
  private readonly names: string[]
  // The graph does not change once built: each node's neighbours are read from it once.
  private readonly dependentsOf: (readonly number[] | undefined)[]
  private readonly dependenciesOf: (readonly number[] | undefined)[]

  /** `nodes` must be free of duplicates and unknown dependencies (as `buildDag` checks). */
  constructor(nodes: readonly DagNodeSpec[]) {
    this.names = nodes.map((_, position) => String(position))
    this.dependentsOf = new Array(nodes.length)
    this.dependenciesOf = new Array(nodes.length)
    const position = new Map(nodes.map((node, index) => [node.id, index]))
    for (const name of this.names) this.graph.setNode(name)
    nodes.forEach((node, index) => {
      for (const dependency of node.dependsOn) this.graph.setEdge(this.names[position.get(dependency)!], this.names[index])
    })
  }

  get size(): number {
    return this.names.length
  }

  /** Positions of the direct dependents of the node at `position`, ascending. Shared: do not modify. */
  dependents(position: number): readonly number[] {
    return (this.dependentsOf[position] ??= this.graph.successors(this.names[position])!.map(Number))
  }

  /** Positions of the direct dependencies of the node at `position`, ascending. Shared: do not modify. */
  dependencies(position: number): readonly number[] {
    return (this.dependenciesOf[position] ??= this.graph.predecessors(this.names[position])!.map(Number))
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
      dependentsLeft[position] = this.graph.successors(this.names[position])!.length
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

/**
 * A graphlib `Graph` whose per-node edge tables are dictionaries from the
 * start. graphlib keeps each node's in- and out-edges in a plain object keyed
 * by edge id (`"v\x01w\x01\x00"`), a property name no other object shares,
 * so V8 made a new hidden class for every edge added: half the time of
 * building a 15,000-edge graph. `Object.create(null)` objects are dictionaries
 * at once. The tables are graphlib's own (`_in`, `_out`, created by
 * `setNode`); if a graphlib version names them otherwise, nothing is replaced.
 */
class EdgeDictionaryGraph extends Graph {
  override setNode(name: string, label?: Parameters<Graph['setNode']>[1]): this {
    const added = !this.hasNode(name)
    if (arguments.length > 1) super.setNode(name, label)
    else super.setNode(name)
    const tables = this as unknown as { _in?: Record<string, object>; _out?: Record<string, object> }
    if (added && tables._in?.[name] && tables._out?.[name]) {
      tables._in[name] = Object.create(null)
      tables._out[name] = Object.create(null)
    }
    return this
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
