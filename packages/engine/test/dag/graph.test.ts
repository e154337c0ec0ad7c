import { Graph } from '@dagrejs/graphlib'
import { describe, expect, it } from 'vitest'
import { DependencyGraph } from '../../src/dag'

const node = (id: string, ...dependsOn: string[]) => ({ id, dependsOn })
/** `n0 <- n1 <- ... <- n(length-1)`: each node depends on the one before. */
const chain = (length: number) => Array.from({ length }, (_, index) => node(`n${index}`, ...(index ? [`n${index - 1}`] : [])))

describe('dag: DependencyGraph', () => {
  it('should be a graphlib Graph of positions, an edge from each dependency to its dependent', () => {
    const graph = new DependencyGraph([node('a'), node('b', 'a'), node('c', 'a', 'b'), node('d')])
    expect(graph.graph).toBeInstanceOf(Graph)
    expect(graph.graph.nodes()).toEqual(['0', '1', '2', '3'])
    expect(
      graph.graph
        .edges()
        .map(({ v, w }) => `${v}->${w}`)
        .sort(),
    ).toEqual(['0->1', '0->2', '1->2'])
    expect(graph.dependents(0)).toEqual([1, 2])
    expect(graph.dependencies(2)).toEqual([0, 1])
    expect(graph.dependents(3)).toEqual([])
    // graphlib's own queries over the per-node edge tables still answer.
    expect(
      graph.graph
        .inEdges('2')!
        .map(({ v }) => v)
        .sort(),
    ).toEqual(['0', '1'])
    expect(
      graph.graph
        .outEdges('0')!
        .map(({ w }) => w)
        .sort(),
    ).toEqual(['1', '2'])
    expect(graph.graph.nodeEdges('1')!.length).toBe(2)
    graph.graph.removeEdge('0', '2')
    expect(graph.graph.inEdges('2')!.map(({ v }) => v)).toEqual(['1'])
  })

  it('should list transitive dependents and order undos through nodes left out', () => {
    // a -> x -> c: undoing a and c, c goes first even though x is not undone.
    const graph = new DependencyGraph([node('a'), node('b'), node('x', 'a'), node('c', 'x'), node('d', 'b')])
    expect(graph.allDependents(0)).toEqual([2, 3])
    expect(graph.undoOrder([0, 3])).toEqual([3, 0])
    // Independent nodes: the one declared last is undone first.
    expect(graph.undoOrder([0, 1, 4])).toEqual([4, 1, 0])
  })

  it('should answer on a 10,000-long chain without overflowing the stack', () => {
    const graph = new DependencyGraph(chain(10_000))
    expect(graph.graph.nodeCount()).toBe(10_000)
    expect(graph.graph.edgeCount()).toBe(9_999)
    const dependents = graph.allDependents(0)
    expect(dependents).toHaveLength(9_999)
    expect(dependents.at(-1)).toBe(9_999)
    const order = graph.undoOrder(Array.from({ length: 10_000 }, (_, position) => position))
    expect(order[0]).toBe(9_999)
    expect(order.at(-1)).toBe(0)
  })
})
