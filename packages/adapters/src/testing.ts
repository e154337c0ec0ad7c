export {}

// Cloud API stand-ins
export { startVultrStandIn } from './testing/vultr'
export type { VultrStandIn, VultrStandInOptions, VultrStandInState } from './testing/vultr'
export { startUpCloudStandIn } from './testing/upcloud'
export type { UpCloudStandIn, UpCloudStandInOptions, UpCloudStandInServer, UpCloudStandInState } from './testing/upcloud'
export type { InjectedFault, StandInRequest } from './testing/_http'
export { createFakeTart, seedVms as fakeTartSeedVms } from './testing/tart'
export type { FakeTart, FakeTartOptions } from './testing/tart'
