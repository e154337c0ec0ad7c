/** What a test sends a cluster node, and what the node answers (matched by `seq`). */
export type NodeRequest = { seq: number } & (
  | { type: 'submit'; jobs: Array<{ provider: string; action: string; input?: unknown; concurrencyKey?: string }> }
  | { type: 'wait'; ids: string[] }
  | { type: 'get'; ids: string[] }
  | { type: 'cancel'; ids: string[] }
  | { type: 'output'; id: string; from?: number }
  | { type: 'counts' }
  | { type: 'notified' }
  | { type: 'listenCreated' }
  | { type: 'stop' }
)

export type NodeReply = { seq: number; result?: unknown; error?: string }
