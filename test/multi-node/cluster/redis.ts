import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Redis from 'ioredis'
import { freePort } from '../../helpers/redis'

/**
 * A redis-server that writes every command to its append-only file before
 * answering (`appendfsync always`), so that a restart, even after SIGKILL,
 * keeps everything it acknowledged.
 */
export async function startDurableRedis(): Promise<{ url: string; restart: (downMs: number) => Promise<void>; stop: () => Promise<void> }> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'provisio-redis-'))
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess
  const launch = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
      {
        stdio: 'ignore',
      },
    )
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    client.on('error', () => {})
    for (let attempt = 0; ; attempt++) {
      try {
        await client.connect()
        // Answers once the append-only file is loaded.
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
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
  await launch()
  return {
    url,
    restart: async (downMs) => {
      await kill()
      await sleep(downMs)
      await launch()
    },
    stop: async () => {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
