import { describe, expect, it } from 'vitest'
import { buildDag, cyclePaths, toGraph } from '../../src/dag'

const node = (id: string, ...dependsOn: string[]) => ({ id, dependsOn })

describe('dag: buildDag', () => {
  it('should keep declaration order between independent nodes', () => {
    expect(buildDag([node('z'), node('y'), node('x', 'z'), node('w')]).dag!.order).toEqual(['z', 'y', 'w', 'x'])
  })

  it('should order every dependency before its dependents, joins included', () => {
    const { dag, issues } = buildDag([node('d', 'b', 'c'), node('b', 'a'), node('c', 'a'), node('a')])
    expect(issues).toEqual([])
    const order = dag!.order
    expect(order.indexOf('a')).toBeLessThan(order.indexOf('b'))
    expect(order.indexOf('a')).toBeLessThan(order.indexOf('c'))
    expect(order.indexOf('b')).toBeLessThan(order.indexOf('d'))
    expect(order.indexOf('c')).toBeLessThan(order.indexOf('d'))
  })

  it('should name duplicate ids and unknown dependencies with their paths', () => {
    const { dag, issues } = buildDag([node('a'), node('a'), node('b', 'a', 'ghost')], (index) => `operations.${index}`)
    expect(dag).toBeUndefined()
    expect(issues).toEqual([
      { path: 'operations.1.id', message: 'duplicate id "a"' },
      { path: 'operations.2.dependsOn.1', message: '"b" depends on unknown id "ghost"' },
    ])
  })

  it('should print each cycle as a path that returns to its start', () => {
    const { dag, issues } = buildDag([node('a', 'c'), node('b', 'a'), node('c', 'b'), node('x'), node('s', 's')])
    expect(dag).toBeUndefined()
    expect(issues.map((issue) => issue.message).sort()).toEqual(['dependency cycle a -> b -> c -> a', 'dependency cycle s -> s'])
  })

  it('should explain a cycle that long chains lead into and hang below', () => {
    // graphlib's findCycles recurses once per node of a path: 10,000 would overflow the stack.
    const chain = (prefix: string, from: string) =>
      Array.from({ length: 10_000 }, (_, index) => node(`${prefix}${index}`, index ? `${prefix}${index - 1}` : from))
    const nodes = [...chain('up', 'root'), node('root'), node('x', 'up9999', 'y'), node('y', 'x'), ...chain('down', 'y')]
    const { dag, issues } = buildDag(nodes)
    expect(dag).toBeUndefined()
    expect(issues.map((issue) => issue.message)).toEqual(['dependency cycle x -> y -> x'])
  })

  it('should find the shortest cycle through a component with several loops', () => {
    const graph = toGraph([node('a', 'b', 'c'), node('b', 'a'), node('c', 'b')])
    const [cycle] = cyclePaths(graph)
    expect(cycle[0]).toBe('a')
    expect(cycle.at(-1)).toBe('a')
    expect(cycle).toEqual(['a', 'b', 'a'])
  })
})
