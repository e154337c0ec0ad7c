import { execFile } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { bundleEntries } from '../helpers/bundle'
import { tsProcessArgs } from '../helpers/ts-process'
import { snippetsOf, type Snippet } from './snippets'

// Every fenced block of README.md, packages/*/README.md and docs/**/*.md runs as written; the
// convention is in README.md ("Runnable documentation").
const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const tsc = join(root, 'node_modules/typescript/bin/tsc')
// Inside node_modules, so `@provisio/*` and the dependencies resolve as from any file of the repository.
const workDir = join(root, 'node_modules/.cache/doc-snippets')
// Each runnable snippet compiled with the sources it imports, in one esbuild run (test/helpers/bundle.ts).
const compiledDir = join(workDir, 'compiled')

const languages: Record<string, 'ts' | 'sh' | 'json' | 'yaml'> = {
  ts: 'ts',
  typescript: 'ts',
  sh: 'sh',
  bash: 'sh',
  shell: 'sh',
  json: 'json',
  yaml: 'yaml',
  yml: 'yaml',
}
const snippets = snippetsOf(root)
const fileName = (snippet: Snippet) => `${snippet.where.replace(/[/.:]/g, '_')}.ts`

/** A machine without cloud credentials, with `provisio` (from the sources) first on the PATH. */
function snippetEnv(bin: string, dataDir: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(PROVISIO_|VULTR_|UPCLOUD_|VITEST|TEST$|NODE_ENV$)/.test(key)))
  return { ...env, PATH: `${bin}:${process.env.PATH}`, PROVISIO_DATA_DIR: dataDir, NO_COLOR: '1' }
}

type Outcome = { code?: number; stdout: string; stderr: string }

/** Runs a compiled ts snippet in an empty temporary directory. */
async function runTypeScript(snippet: Snippet, bin: string): Promise<Outcome> {
  const cwd = await mkdtemp(join(tmpdir(), 'provisio-doc-'))
  try {
    return await run(process.execPath, ['--conditions=source', join(compiledDir, fileName(snippet).replace(/\.ts$/, '.mjs'))], {
      cwd,
      env: snippetEnv(bin, join(cwd, '.provisio')),
      timeout: 60_000,
    }).catch((error: Outcome) => error)
  } finally {
    await rm(cwd, { recursive: true, force: true })
  }
}

describe('documentation snippets', () => {
  let bin: string
  let typeErrors: Promise<string>
  let compileError = ''
  // The ts snippets run one after another from the start, while tsc checks them all beside: each test awaits its own.
  const outcomes = new Map<Snippet, Promise<Outcome>>()
  const titles = new Map<string, Snippet>()
  // Vitest reads the first parameter as a fixture pattern; the suite, with each test's mode, is the second.
  // biome-ignore lint/correctness/noEmptyPattern: no fixture is used
  beforeAll(async ({}, suite) => {
    await rm(workDir, { recursive: true, force: true })
    await mkdir(workDir, { recursive: true })
    // Within node_modules the repository's `"type": "module"` does not reach: say it again.
    await writeFile(join(workDir, 'package.json'), '{ "type": "module" }\n')
    const typescript = snippets.filter((snippet) => languages[snippet.lang] === 'ts' && snippet.excerpt === undefined)
    for (const snippet of typescript) await writeFile(join(workDir, fileName(snippet)), snippet.code)
    const runnable = typescript.filter((snippet) => snippet.noRun === undefined).map((snippet) => join(workDir, fileName(snippet)))
    await bundleEntries(runnable, { outbase: workDir, outdir: compiledDir }).catch((error: Error) => {
      compileError = error.message
    })
    await writeFile(
      join(workDir, 'tsconfig.json'),
      JSON.stringify({ extends: join(root, 'tsconfig.json'), compilerOptions: { moduleDetection: 'force', noEmit: true }, include: ['*.ts'] }),
    )
    typeErrors = run(process.execPath, [tsc, '-p', join(workDir, 'tsconfig.json')], { cwd: root, maxBuffer: 16 * 1024 * 1024 }).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    )
    bin = await mkdtemp(join(tmpdir(), 'provisio-doc-bin-'))
    const cli = tsProcessArgs(join(root, 'packages/http/src/cli.ts'))
    await writeFile(join(bin, 'provisio'), `#!/bin/sh\nexec "${process.execPath}" ${cli.map((arg) => `"${arg}"`).join(' ')} "$@"\n`)
    await chmod(join(bin, 'provisio'), 0o755)
    if (compileError) return
    // Only the snippets whose tests run (`-t` selects some).
    let previous: Promise<unknown> = Promise.resolve()
    for (const task of suite.tasks) {
      const snippet = titles.get(task.name)
      if (!snippet || snippet.noRun !== undefined || task.mode === 'skip' || task.mode === 'todo') continue
      const outcome = previous.then(() => runTypeScript(snippet, bin))
      outcomes.set(snippet, outcome)
      previous = outcome
    }
  }, 300_000)
  afterAll(async () => {
    await Promise.allSettled([typeErrors, ...outcomes.values()])
    await rm(bin, { recursive: true, force: true })
  })

  it('each opt-out says why the block does not run', () => {
    const reasons = snippets.flatMap((snippet) =>
      [snippet.noRun, snippet.excerpt].filter((reason) => reason !== undefined).map((reason) => ({ where: snippet.where, reason })),
    )
    expect(reasons.filter(({ reason }) => reason!.trim().length < 10)).toEqual([])
  })

  for (const snippet of snippets) {
    const kind = languages[snippet.lang]
    if (!kind || snippet.excerpt !== undefined) continue
    const title = `${snippet.where} (${snippet.lang}${snippet.noRun ? ', not run' : ''})`

    if (kind === 'json') it(title, () => expect(() => JSON.parse(snippet.code)).not.toThrow())
    if (kind === 'yaml') it(title, () => expect(() => parseYaml(snippet.code)).not.toThrow())

    if (kind === 'ts') {
      titles.set(title, snippet)
      it(title, async () => {
        const errors = (await typeErrors).split('\n').filter((line) => line.includes(fileName(snippet)))
        expect(errors, `type errors in ${snippet.where}`).toEqual([])
        if (snippet.noRun !== undefined) return
        expect(compileError, `${snippet.where} was not compiled`).toBe('')
        const result = await outcomes.get(snippet)!
        expect('code' in result ? result : { code: 0 }, `${snippet.where} failed:\n${result.stderr}`).toMatchObject({ code: 0 })
        // A snippet that prints `undefined` shows a reader nothing: it asked for something that is not there.
        expect(result.stdout.split('\n'), `${snippet.where} printed undefined`).not.toContain('undefined')
      }, 90_000)
    }

    if (kind === 'sh') {
      it(title, async () => {
        // A block that cannot run here is still checked to be valid shell.
        if (snippet.noRun !== undefined) return void (await run('/bin/sh', ['-n', '-c', snippet.code]))
        const dataDir = await mkdtemp(join(tmpdir(), 'provisio-doc-data-'))
        try {
          const result = await run('/bin/sh', ['-e', '-c', snippet.code], { cwd: root, env: snippetEnv(bin, dataDir), timeout: 60_000 }).catch(
            (error: { code: number; stdout: string; stderr: string }) => error,
          )
          expect('code' in result ? result : { code: 0 }, `${snippet.where} failed:\n${'stderr' in result ? result.stderr : ''}`).toMatchObject({ code: 0 })
        } finally {
          await rm(dataDir, { recursive: true, force: true })
        }
      }, 90_000)
    }
  }
})
