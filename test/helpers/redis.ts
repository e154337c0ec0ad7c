import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Redis from 'ioredis'
import { createStorage, type Storage } from 'unstorage'
import redisDriver from 'unstorage/drivers/redis'

/** A free loopback port (listened on, then released). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export interface RedisServer {
  url: string
  /** Kills the server with SIGKILL, waits `downMs`, and starts it again on the same port. */
  restart: (downMs: number) => Promise<void>
  /** An unstorage storage on this server under `base`, with a connection of its own; disposed by `stop()`. */
  storage: (base: string) => Storage
  /** Disposes the storages made by `storage()`, then kills the server. */
  stop: () => Promise<void>
}

/**
 * A real redis-server on a free loopback port; `stop()` kills it. Without
 * persistence unless `durable`: then it writes every command to its
 * append-only file before answering (`appendfsync always`), so a restart, even
 * after SIGKILL, keeps everything it acknowledged.
 */
export async function startRedis(options: { durable?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  const dir = options.durable ? mkdtempSync(join(tmpdir(), 'provisio-redis-')) : undefined
  const persistence = dir ? ['--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'] : ['--save', '', '--appendonly', 'no']
  let child: ChildProcess
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistence], { stdio: 'ignore' })
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once('error', resolve)
      child.once('spawn', () => resolve(undefined))
    })
    if (spawned) throw new Error(`redis-server could not start (${spawned.message}): install it with apt-get install -y redis-server`)
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    // Refused connections while the server starts are expected; the loop below retries them.
    client.on('error', () => {})
    for (let attempt = 0; ; attempt++) {
      try {
        await client.connect()
        // Answers once the append-only file (if any) is loaded.
        await client.ping()
        break
      } catch (error) {
        if (attempt > 200) throw error
        client.disconnect()
        await sleep(25)
      }
    }
    client.disconnect()
  }
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
  await launch()
  const storages: Storage[] = []
  return {
    url,
    restart: async (downMs) => {
      await kill()
      await sleep(downMs)
      await launch()
    },
    storage: (base) => {
      const storage = createStorage({ driver: redisDriver({ url, base }) })
      storages.push(storage)
      return storage
    },
    stop: async () => {
      await Promise.all(storages.map((storage) => storage.dispose()))
      await kill()
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}
