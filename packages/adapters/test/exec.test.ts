import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEngine } from '@provisio/engine'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exec } from '../src/exec'
import { isAlive } from '../src/utils/process'
import { createTestContext, runAction } from './fixtures/context'

async function waitForFile(path: string, timeoutMs = 5000): Promise<string> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '')
    if (text.trim()) return text.trim()
    if (Date.now() > until) throw new Error(`${path} never appeared`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('exec: run', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisio-exec-test-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('runs a command line in cwd, printing it first and merging stdout and stderr', async () => {
    await writeFile(join(dir, 'deploy.sh'), 'echo "deploying to $1"\necho "warning" >&2\necho done\n')
    const provider = exec({ cwd: dir })
    const ctx = createTestContext(provider)
    const result = await runAction(ctx, provider, 'run', { command: 'bash deploy.sh', args: ['prod eu'] })
    expect(result).toMatchObject({ exitCode: 0 })
    expect(typeof result.durationMs).toBe('number')
    expect(ctx.lines).toEqual([`$ bash deploy.sh 'prod eu'`, 'deploying to prod eu', 'warning', 'done'])
  })

  it('exposes inputs as INPUT_ variables, lists comma-joined, beside config and job env', async () => {
    const provider = exec({ env: { STAGE: 'test', SHARED: 'config' } })
    const ctx = createTestContext(provider)
    await runAction(ctx, provider, 'run', {
      command: 'echo "$INPUT_VERSION $INPUT_REGIONS $INPUT_DRY_RUN $INPUT_REPLICA_COUNT $STAGE $SHARED"',
      env: { SHARED: 'job' },
      inputs: { version: '1.2.0', regions: ['ewr', 'ams'], 'dry-run': true, replica_count: 3 },
    })
    expect(ctx.lines[1]).toBe('1.2.0 ewr,ams true 3 test job')
  })

  it('runs a script body with arguments', async () => {
    const provider = exec()
    const ctx = createTestContext(provider)
    await runAction(ctx, provider, 'run', { script: 'set -e\necho "first=$1"\necho "count=$#"\n', args: ['a', 'b'] })
    expect(ctx.lines).toEqual(['$ bash <script> a b', 'first=a', 'count=2'])
  })

  it('fails on a non-zero exit, naming the code and ending output with [EXIT CODE: n]', async () => {
    const provider = exec()
    const ctx = createTestContext(provider)
    const failure = runAction(ctx, provider, 'run', { command: 'echo before; exit 7' })
    await expect(failure).rejects.toMatchObject({ code: 'exit_code', exitCode: 7, message: expect.stringContaining('exit code 7') })
    expect(ctx.lines).toEqual(['$ echo before; exit 7', 'before', '[EXIT CODE: 7]'])
  })

  it('fails clearly when the shell cannot be started', async () => {
    const provider = exec({ shell: join(dir, 'no-such-shell') })
    const ctx = createTestContext(provider)
    await expect(runAction(ctx, provider, 'run', { command: 'true' })).rejects.toMatchObject({ code: 'spawn' })
  })

  it('rejects input with both or neither of command and script', () => {
    const provider = exec()
    const schema = provider.actions.run.input
    expect(schema.safeParse({ command: 'a', script: 'b' }).success).toBe(false)
    expect(schema.safeParse({}).success).toBe(false)
  })

  it('kills the process tree on cancel within 2 s, even when it ignores SIGTERM', async () => {
    const pidFile = join(dir, 'sleep.pid')
    const provider = exec()
    const ctx = createTestContext(provider)
    const running = runAction(ctx, provider, 'run', {
      script: `trap '' TERM INT\nsleep 30 &\necho $! > ${pidFile}\nwait\n`,
    })
    const sleepPid = Number(await waitForFile(pidFile))
    expect(isAlive(sleepPid)).toBe(true)
    const cancelledAt = Date.now()
    ctx.controller.abort()
    await expect(running).rejects.toMatchObject({ code: 'aborted' })
    expect(Date.now() - cancelledAt).toBeLessThan(2000)
    expect(isAlive(sleepPid)).toBe(false)
    expect(ctx.lines.at(-1)).toBe('[EXIT CODE: 137]')
  })

  it('hides secret inputs and env values from output and errors', async () => {
    const provider = exec({ env: { DEPLOY_TOKEN: 'tok-from-config' } })
    const ctx = createTestContext(provider)
    const failure = runAction(ctx, provider, 'run', {
      command: 'echo "pw=$INPUT_DB_PASSWORD key=$INPUT_LICENSE tok=$DEPLOY_TOKEN"; exit 1',
      inputs: { db_password: 'hunter2', license: 'LIC-999' },
      secrets: ['license'],
    })
    const error = await failure.catch((e: Error) => e)
    expect(ctx.lines[1]).toBe('pw=*** key=*** tok=***')
    const everything = JSON.stringify({ lines: ctx.lines, message: (error as Error).message, stack: (error as Error).stack })
    for (const secret of ['hunter2', 'LIC-999', 'tok-from-config']) expect(everything).not.toContain(secret)
  })
})

describe('exec: through the engine', () => {
  it('stores masked input, streams output and fails the job with the exit code', async () => {
    const engine = createEngine({ providers: [exec()] })
    await engine.start()
    try {
      const job = await engine.jobs.submit({
        provider: 'exec',
        action: 'run',
        input: { command: 'echo "using $INPUT_API_TOKEN"; exit 4', inputs: { api_token: 'tok-abc-123', region: 'ams' } },
      })
      expect(job.input).toMatchObject({ inputs: { api_token: '***', region: 'ams' } })
      const done = await engine.jobs.wait(job.id)
      expect(done).toMatchObject({ status: 'failed', error: { code: 'exit_code', message: '[provisio] [exec] command failed with exit code 4' } })
      const lines: string[] = []
      for await (const { line } of engine.jobs.output(job.id)) lines.push(line)
      expect(lines).toEqual(['$ echo "using $INPUT_API_TOKEN"; exit 4', 'using ***', '[EXIT CODE: 4]'])
      expect(JSON.stringify(await engine.jobs.get(job.id))).not.toContain('tok-abc-123')
    } finally {
      await engine.stop()
    }
  })

  it('cancelling a running job kills its process tree', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'provisio-exec-engine-'))
    const pidFile = join(dir, 'sleep.pid')
    const engine = createEngine({ providers: [exec()] })
    await engine.start()
    try {
      const job = await engine.jobs.submit({ provider: 'exec', action: 'run', input: { script: `trap '' TERM\nsleep 30 &\necho $! > ${pidFile}\nwait\n` } })
      const sleepPid = Number(await waitForFile(pidFile))
      const cancelledAt = Date.now()
      await engine.jobs.cancel(job.id)
      expect((await engine.jobs.wait(job.id)).status).toBe('cancelled')
      // The record turns `cancelled` at once; the group gets its SIGTERM grace before SIGKILL.
      while (isAlive(sleepPid) && Date.now() - cancelledAt < 2000) await new Promise((resolve) => setTimeout(resolve, 25))
      expect(isAlive(sleepPid)).toBe(false)
    } finally {
      await engine.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
