export { buildDag, cyclePaths, toGraph } from './build'
export type { Dag, DagBuildResult, DagNodeSpec } from './build'
export { DependencyGraph } from './graph'
