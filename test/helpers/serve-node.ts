import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { tsProcessArgs } from './ts-process'

const cli = new URL('../../packages/http/src/cli.ts', import.meta.url).pathname

export interface ServeNode {
  id: string
  child: ChildProcess
  /** Base URL of each served surface, as the node printed them. */
  urls: Record<string, string>
  stop: () => Promise<void>
}

/**
 * A `provisio serve` process from the sources on Redis, over a data dir of its
 * own; every surface it serves on a port the system picks. Resolves once it has
 * printed the URL of each surface.
 */
export async function startServeNode(options: {
  id: string
  redisUrl: string
  surfaces: string[]
  args?: string[]
  env?: Record<string, string>
}): Promise<ServeNode> {
  const { id, redisUrl, surfaces } = options
  const dataDir = mkdtempSync(join(tmpdir(), `provisio-${id}-`))
  const ports = surfaces.flatMap((surface) => [`--${surface}-port`, '0'])
  const child = spawn(
    process.execPath,
    [
      ...tsProcessArgs(cli),
      'serve',
      '--storage',
      'redis',
      '--redis-url',
      redisUrl,
      '--surfaces',
      surfaces.join(','),
      ...ports,
      '--data-dir',
      dataDir,
      ...(options.args ?? []),
    ],
    { env: { ...process.env, PROVISIO_NODE_ID: id, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const urls: Record<string, string> = {}
  for (let waited = 0; Object.keys(urls).length < surfaces.length; waited += 100) {
    if (child.exitCode !== null) throw new Error(`node ${id} exited: ${output}`)
    if (waited > 60_000) throw new Error(`node ${id} did not start: ${output}`)
    for (const [, name, url] of output.matchAll(/^(\S+)\s+(http:\/\/\S+)\s+\(docs/gm)) urls[name] = url
    await sleep(100)
  }
  return {
    id,
    child,
    urls,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        await new Promise((resolve) => child.once('exit', resolve))
      }
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
