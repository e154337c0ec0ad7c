// Cloud API stand-ins
export { startVultrStandIn, vultrStandIn } from './testing/vultr'
export type { VultrStandIn, VultrStandInOptions, VultrStandInState } from './testing/vultr'
export { startUpCloudStandIn, upcloudStandIn } from './testing/upcloud'
export type { UpCloudStandIn, UpCloudStandInOptions, UpCloudStandInServer, UpCloudStandInState } from './testing/upcloud'
export type { InjectedFault, StandInRequest } from './testing/_http'

// Local tools: the fake tart, and the conformance stand-ins of ansible and exec
export { createFakeTart, seedVms as fakeTartSeedVms, tartStandIn } from './testing/tart'
export type { FakeTart, FakeTartOptions } from './testing/tart'
export { ansibleStandIn } from './testing/ansible'
export { execStandIn } from './testing/exec'
