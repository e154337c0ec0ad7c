export { buildDag, cyclePaths, dependentsOf, toGraph } from './build'
export type { Dag, DagBuildResult, DagNodeSpec } from './build'
