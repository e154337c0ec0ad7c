// Sources
export { followJob } from './follow-job'
export { followWorkflow } from './follow-workflow'
export { batched } from './batch'
export type { FollowJobOptions, FollowOptions, JobStreamMessage, WorkflowStreamMessage } from './types'

// Sinks
export { liveSocketHooks } from './websocket'
export type { LiveSocketOptions, SocketClose } from './websocket'
export { liveEventStream } from './event-stream'
export type { LiveEventStreamOptions } from './event-stream'
