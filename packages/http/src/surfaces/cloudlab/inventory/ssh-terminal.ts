import { readFile } from 'node:fs/promises'
import type { Hooks, Peer } from 'crossws'
import { Client, type ClientChannel } from 'ssh2'
import type { SshCredentials } from './ssh-credentials'

/** Largest `output` message, in characters, as CloudLab reads 4096 at a time. */
const outputChunk = 4096

type ClientMessage = { type: 'input'; data: string } | { type: 'resize'; cols: number; rows: number }

function clientMessage(text: string): ClientMessage | undefined {
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof message !== 'object' || message === null) return undefined
  const { type, data, cols, rows } = message as Record<string, unknown>
  if (type === 'input' && typeof data === 'string') return { type, data }
  const size = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 1000 ? value : fallback)
  if (type === 'resize') return { type, cols: size(cols, 80), rows: size(rows, 24) }
  return undefined
}

export interface TerminalOptions {
  hostname: string
  /** Looked up once the socket is open; none sends an error and closes with 1008. */
  credentials: () => Promise<SshCredentials | undefined>
  /** The `?user=` login instead of the inventory's `ansible_user`. */
  user?: string
  readyTimeoutMs?: number
}

/**
 * crossws hooks bridging one WebSocket to an interactive SSH shell (ssh2): CloudLab's
 * `connected`, `output` and `error` messages out, `input` and `resize` in. The PTY is
 * xterm-256color, 80×24 until the client resizes it; host keys are not checked, as in CloudLab.
 */
export function sshTerminalHooks(options: TerminalOptions): Partial<Hooks> {
  const client = new Client()
  let shell: ClientChannel | undefined
  let closed = false
  // What the client sent before the shell was ready (the UI resizes as soon as it opens).
  const pending: ClientMessage[] = []

  const send = (peer: Peer, message: Record<string, unknown>) => {
    if (!closed) peer.send(JSON.stringify(message))
  }
  const finish = (peer: Peer, message?: string, code = 1000) => {
    if (closed) return
    if (message !== undefined) send(peer, { type: 'error', message })
    closed = true
    client.end()
    peer.close(code)
  }
  const apply = (message: ClientMessage) => {
    if (!shell) return pending.push(message)
    if (message.type === 'input') shell.write(message.data)
    else shell.setWindow(message.rows, message.cols, 0, 0)
  }

  async function connect(peer: Peer) {
    const credentials = await options.credentials()
    if (!credentials) return finish(peer, `No SSH credentials found for ${options.hostname}`, 1008)
    const user = options.user ?? credentials.user
    const privateKey = await readFile(credentials.privateKeyFile)
    let ready = false
    client.on('ready', () => {
      ready = true
      client.shell({ term: 'xterm-256color', cols: 80, rows: 24 }, (error, stream) => {
        if (error) return finish(peer, `SSH connection failed: ${error.message}`)
        shell = stream
        send(peer, { type: 'connected', hostname: options.hostname, ip: credentials.host, user, default_user: credentials.user })
        const forward = (chunk: Buffer) => {
          const text = chunk.toString('utf8')
          for (let start = 0; start < text.length; start += outputChunk) send(peer, { type: 'output', data: text.slice(start, start + outputChunk) })
        }
        stream.on('data', forward)
        stream.stderr.on('data', forward)
        stream.on('close', () => finish(peer, 'Connection closed'))
        for (const message of pending.splice(0)) apply(message)
      })
    })
    client.on('error', (error) => finish(peer, ready ? `SSH disconnected: ${error.message}` : `SSH connection failed: ${error.message}`))
    client.on('close', () => finish(peer, 'Connection closed'))
    client.connect({
      host: credentials.host,
      port: credentials.port,
      username: user,
      privateKey,
      hostVerifier: () => true,
      readyTimeout: options.readyTimeoutMs ?? 20_000,
    })
  }

  return {
    open(peer) {
      connect(peer).catch((error: unknown) => finish(peer, `SSH connection failed: ${error instanceof Error ? error.message : String(error)}`))
    },
    message(_peer, message) {
      const parsed = clientMessage(message.text())
      if (parsed) apply(parsed)
    },
    close() {
      closed = true
      client.end()
    },
    error() {
      closed = true
      client.end()
    },
  }
}
