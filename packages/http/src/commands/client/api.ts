import type { ArgsDef } from 'citty'
import { CommandError } from '../runner'

/** Options of every command that talks to a running server. */
export const clientArgs = {
  url: { type: 'string', description: 'Orchestrator URL (default http://127.0.0.1:9090; env PROVISIO_URL)', valueHint: 'url' },
  token: { type: 'string', description: 'Bearer token from POST /auth/login on the control-center (env PROVISIO_TOKEN)', valueHint: 'jwt' },
  json: { type: 'boolean', description: 'Print the answer as JSON' },
} as const satisfies ArgsDef

/** A failure to report as one line and exit 1: a refused request, an unreachable server, a bad file. */
export class ClientError extends CommandError {}

export interface OrchestratorClient {
  url: string
  get: <T = unknown>(path: string) => Promise<{ data: T; headers: Headers }>
  post: <T = unknown>(path: string, body?: unknown) => Promise<T>
  /** Server-sent events of a path, each frame as it arrives. */
  events: (path: string, signal?: AbortSignal) => AsyncGenerator<{ event: string; data: any }>
}

/** A client of the orchestrator surface: 004's envelope unwrapped, its errors as `ClientError`s. */
export function orchestratorClient(args: { url?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): OrchestratorClient {
  const url = (args.url ?? env.PROVISIO_URL ?? 'http://127.0.0.1:9090').replace(/\/+$/, '')
  const token = args.token ?? env.PROVISIO_TOKEN
  if (!token) throw new ClientError('No token: pass --token or set PROVISIO_TOKEN (get one with POST /auth/login on the control-center surface)')

  const request = async (method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> => {
    try {
      return await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      })
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause
      throw new ClientError(`Cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`)
    }
  }
  const unwrap = async (response: Response) => {
    const text = await response.text()
    let parsed: { success?: boolean; data?: unknown; error?: string } | undefined
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new ClientError(`${response.status} from ${url}: not an orchestrator answer`)
    }
    if (!response.ok || parsed?.success === false) throw new ClientError(`${response.status}: ${parsed?.error ?? response.statusText}`)
    return parsed?.data
  }

  return {
    url,
    async get(path) {
      const response = await request('GET', path)
      return { data: (await unwrap(response)) as never, headers: response.headers }
    },
    async post(path, body) {
      return (await unwrap(await request('POST', path, body))) as never
    },
    async *events(path, signal) {
      const response = await request('GET', path, undefined, signal)
      if (!response.ok || !response.body) await unwrap(response)
      const decoder = new TextDecoder()
      let buffer = ''
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event:\s*(.*)$/m.exec(block)?.[1]
          const data = /^data:\s*(.*)$/m.exec(block)?.[1]
          if (event && data !== undefined) yield { event, data: JSON.parse(data) }
        }
      }
    },
  }
}
