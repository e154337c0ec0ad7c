import { spawn } from 'node:child_process'
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// `provisio` as a clone gets it: linked by `npm install` into node_modules/.bin (run on the built dist).
const root = fileURLToPath(new URL('..', import.meta.url))
const bin = join(root, 'node_modules/.bin')

function run(command: string, args: string[], env: NodeJS.ProcessEnv, until?: RegExp): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: { ...env, NO_COLOR: '1' } })
    let output = ''
    const collect = (chunk: Buffer) => {
      output += chunk
      if (until?.test(output)) child.kill('SIGTERM')
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    child.on('exit', (code) => resolve({ code, output }))
  })
}

const baseEnv = () => Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(PROVISIO_|VULTR_|UPCLOUD_|npm_)/.test(key)))

describe('the provisio bin of a clone', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisio-bin-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('is linked to the committed launcher and answers --version', async () => {
    expect(await realpath(join(bin, 'provisio'))).toBe(join(root, 'packages/http/bin/provisio.js'))
    const { version } = JSON.parse(await readFile(join(root, 'packages/http/package.json'), 'utf8'))
    const answer = await run(join(bin, 'provisio'), ['--version'], baseEnv())
    expect(answer).toEqual({ code: 0, output: `${version}\n` })
  })

  it('hints the command that works: provisio when started from the PATH, npx provisio otherwise', async () => {
    const serve = ['serve', '--surfaces', 'control-center', '--control-center-port', '0', '--data-dir']
    const hint = /create the first administrator with .?(npx )?provisio users add admin/
    const fromPath = await run('provisio', [...serve, join(dir, 'path')], { ...baseEnv(), PATH: `${bin}:${process.env.PATH}` }, hint)
    expect(fromPath.output).toMatch(hint)
    expect(fromPath.output.match(hint)![1]).toBeUndefined()
    const byNode = await run(process.execPath, [join(root, 'packages/http/dist/cli.js'), ...serve, join(dir, 'node')], baseEnv(), hint)
    expect(byNode.output.match(hint)?.[1]).toBe('npx ')
  }, 60_000)
})
