import { spawn, type ChildProcess } from 'node:child_process'
import { tsProcessArgs } from '../../helpers/ts-process'
import type { NodeReply, NodeRequest } from './protocol'

const script = new URL('./node.ts', import.meta.url).pathname

type Request = NodeRequest extends infer R ? (R extends NodeRequest ? Omit<R, 'seq'> : never) : never

/** An engine in a child process, joined to the cluster on `url`. */
export interface ClusterNode {
  name: string
  child: ChildProcess
  ask<T = unknown>(request: Request): Promise<T>
  /** Stops the engine cleanly and waits for the process to exit. */
  stop(): Promise<void>
  /** SIGKILL: the node dies without releasing anything. */
  kill(): Promise<void>
}

export async function startNode(
  name: string,
  env: { url: string; base: string; leaseMs?: number; concurrency?: number; nodeConcurrency?: number },
): Promise<ClusterNode> {
  const child = spawn(process.execPath, tsProcessArgs(script), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      ...process.env,
      REDIS_URL: env.url,
      CLUSTER_BASE: env.base,
      NODE_NAME: name,
      LEASE_MS: String(env.leaseMs ?? 2000),
      CONCURRENCY: String(env.concurrency ?? 8),
      NODE_CONCURRENCY: env.nodeConcurrency === undefined ? '' : String(env.nodeConcurrency),
    },
  })
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  let seq = 0
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.on('message', (reply: NodeReply) => {
    const waiter = waiting.get(reply.seq)
    waiting.delete(reply.seq)
    if (reply.error !== undefined) waiter?.reject(new Error(`${name}: ${reply.error}`))
    else waiter?.resolve(reply.result)
  })
  void exited.then(() => {
    for (const waiter of waiting.values()) waiter.reject(new Error(`${name} exited`))
    waiting.clear()
  })
  const expect = <T>(at: number) => new Promise<T>((resolve, reject) => waiting.set(at, { resolve: resolve as (value: unknown) => void, reject }))
  await expect(0)
  return {
    name,
    child,
    ask: <T>(request: Request) => {
      const at = ++seq
      const answer = expect<T>(at)
      child.send({ ...request, seq: at })
      return answer
    },
    async stop() {
      if (!child.connected) return
      const at = ++seq
      const answer = expect(at)
      child.send({ type: 'stop', seq: at })
      await answer
      child.disconnect()
      await exited
    },
    async kill() {
      child.kill('SIGKILL')
      await exited
    },
  }
}
