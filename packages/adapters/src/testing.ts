export {}

// Cloud API stand-ins
export { startVultrStandIn } from './testing/vultr/standin'
export type { VultrStandIn, VultrStandInOptions, VultrStandInState } from './testing/vultr/standin'
export { startUpCloudStandIn } from './testing/upcloud/standin'
export type { UpCloudStandIn, UpCloudStandInOptions, UpCloudStandInServer, UpCloudStandInState } from './testing/upcloud/standin'
export type { InjectedFault, StandInRequest } from './utils/http-standin'
export { createFakeTart, seedVms as fakeTartSeedVms } from './testing/tart'
export type { FakeTart, FakeTartOptions } from './testing/tart'
