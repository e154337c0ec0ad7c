import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The packages as a consumer gets them: `npm pack`ed (prepack included), unpacked into a scratch
// project's node_modules, type-checked by the repository's TypeScript under the settings
// consumers use, and run with `import` and `require()`.
const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const packages = ['engine', 'adapters', 'plugins', 'http']
const tsc = join(root, 'node_modules/typescript/bin/tsc')

/** Uses every package, and `engine.on` with a typed payload: a wrong event or field must not compile. */
const consumerTs = `import { createEngine, type JobStatus } from '@provisio/engine'
import { exec } from '@provisio/adapters'
import { startVultrStandIn } from '@provisio/adapters/testing'
import { metrics } from '@provisio/plugins'
import { controlCenter, createServer } from '@provisio/http'

const engine = createEngine({ providers: [exec()], plugins: [metrics()] })
engine.on('job:status', (event) => {
  const status: JobStatus = event.status
  // @ts-expect-error: the payload is typed, no such field
  void event.nope
  void status
})
// @ts-expect-error: no such event
engine.on('job:nope', () => {})
export const used = [controlCenter, createServer, startVultrStandIn]
`

const consumerCts = `import engine = require('@provisio/engine')
import http = require('@provisio/http')
const created = engine.createEngine({})
created.on('job:output', (event) => event.line.toUpperCase())
export const used = [created, http.createServer]
`

const runEsm = `import { createEngine } from '@provisio/engine'
import { exec } from '@provisio/adapters'
import manifest from '@provisio/http/package.json' with { type: 'json' }
const engine = createEngine({ providers: [exec()] })
await engine.start()
const job = await engine.jobs.submit({ provider: 'exec', action: 'run', input: { command: 'echo from-esm' } })
const done = await engine.jobs.wait(job.id)
await engine.stop()
console.log(done.status, manifest.version)
`

const runCjs = `const { createEngine } = require('@provisio/engine')
const { exec } = require('@provisio/adapters')
const { createServer } = require('@provisio/http')
const engine = createEngine({ providers: [exec()] })
engine.start()
  .then(() => engine.jobs.submit({ provider: 'exec', action: 'run', input: { command: 'echo from-cjs' } }))
  .then((job) => engine.jobs.wait(job.id))
  .then(async (done) => { await engine.stop(); console.log(done.status, typeof createServer) })
`

const compilerOptions = {
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  target: 'ES2023',
  lib: ['ES2023', 'DOM'],
  types: ['node'],
}

describe('packed tarballs in a scratch project', () => {
  let scratch: string
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'provisio-consumer-'))
    const tarballs = join(scratch, 'tarballs')
    await mkdir(tarballs)
    // Packed from a copy: prepack rewrites each package.json while it runs, and the tests running
    // beside this one resolve the workspace packages through those manifests.
    const checkout = join(scratch, 'checkout')
    await cp(join(root, 'scripts'), join(checkout, 'scripts'), { recursive: true })
    await cp(join(root, 'package.json'), join(checkout, 'package.json'))
    for (const name of packages) {
      const from = join(root, 'packages', name)
      await cp(from, join(checkout, 'packages', name), { recursive: true, filter: (file) => !/\/(node_modules|test)(\/|$)/.test(file.slice(from.length)) })
    }
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tarballs, ...packages.flatMap((name) => ['-w', `packages/${name}`])], {
      cwd: checkout,
    })
    const packed = JSON.parse(stdout) as { name: string; filename: string }[]
    const modules = join(scratch, 'node_modules')
    await mkdir(join(modules, '@provisio'), { recursive: true })
    for (const { name, filename } of packed) {
      const target = join(modules, name)
      await mkdir(target)
      await run('tar', ['-xzf', join(tarballs, filename.replace(/^@provisio-/, 'provisio-')), '-C', target, '--strip-components=1'])
      // Dependencies npm kept beside the workspace (a version only it needs) go beside the package too.
      const nested = join(root, 'packages', name.replace('@provisio/', ''), 'node_modules')
      const entries = await readdir(nested).catch(() => [])
      if (entries.length) await mkdir(join(target, 'node_modules'))
      for (const entry of entries) if (!entry.startsWith('.')) await symlink(join(nested, entry), join(target, 'node_modules', entry))
    }
    // Third-party dependencies as installed for the repository's top level.
    for (const entry of await readdir(join(root, 'node_modules'))) {
      if (entry === '@provisio' || entry === '.bin' || entry.startsWith('.')) continue
      await symlink(join(root, 'node_modules', entry), join(modules, entry))
    }
    await writeFile(join(scratch, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
    await writeFile(join(scratch, 'consumer.ts'), consumerTs)
    await writeFile(join(scratch, 'consumer-cjs.cts'), consumerCts)
    await writeFile(join(scratch, 'run.mjs'), runEsm)
    await writeFile(join(scratch, 'run.cjs'), runCjs)
  }, 120_000)
  afterAll(() => rm(scratch, { recursive: true, force: true }))

  const typecheck = async (name: string, options: Record<string, unknown>, files: string[]) => {
    await writeFile(join(scratch, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...compilerOptions, ...options }, files }))
    return run(process.execPath, [tsc, '-p', `tsconfig.${name}.json`], { cwd: scratch }).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    )
  }

  it('the packed manifests carry no `source` condition, nor sources reachable by one', async () => {
    for (const name of packages) {
      const manifest = await readFile(join(scratch, 'node_modules/@provisio', name, 'package.json'), 'utf8')
      expect(manifest).not.toMatch(/"source"/)
    }
  })

  it('type-checks under moduleResolution nodenext (ESM and require), also with customConditions ["source"]', async () => {
    const nodenext = { module: 'nodenext', moduleResolution: 'nodenext' }
    expect(await typecheck('nodenext', nodenext, ['consumer.ts', 'consumer-cjs.cts'])).toBe('')
    // Our sources use extensionless imports: reached through a published `source` condition they fail here.
    expect(await typecheck('nodenext-source', { ...nodenext, customConditions: ['source'] }, ['consumer.ts'])).toBe('')
  })

  it('type-checks under moduleResolution bundler, also with customConditions ["source"]', async () => {
    const bundler = { module: 'esnext', moduleResolution: 'bundler' }
    expect(await typecheck('bundler', bundler, ['consumer.ts'])).toBe('')
    expect(await typecheck('source', { ...bundler, customConditions: ['source'] }, ['consumer.ts'])).toBe('')
  })

  it('runs with import and with require()', async () => {
    const { version } = JSON.parse(await readFile(join(root, 'packages/http/package.json'), 'utf8'))
    const esm = await run(process.execPath, ['run.mjs'], { cwd: scratch })
    expect(esm.stdout.trim()).toBe(`completed ${version}`)
    const cjs = await run(process.execPath, ['run.cjs'], { cwd: scratch })
    expect(cjs.stdout.trim()).toBe('completed function')
  })

  it('the packed provisio bin answers --version', async () => {
    const bin = join(scratch, 'node_modules/@provisio/http/bin/provisio.js')
    const { stdout } = await run(process.execPath, [bin, '--version'], { cwd: scratch })
    expect(stdout.trim()).toBe(JSON.parse(await readFile(join(root, 'packages/http/package.json'), 'utf8')).version)
  })
})
