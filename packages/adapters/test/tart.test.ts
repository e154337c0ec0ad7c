import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEngine } from '@provisio/engine'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TART_STDERR_PREFIX, tart } from '../src/tart'
import { createFakeTart, type FakeTart, type FakeTartOptions } from '../src/testing/tart'
import { isAlive } from '../src/utils/process'
import { createTestContext, runAction } from './fixtures/context'

const macos = 'ghcr.io/cirruslabs/macos-sequoia-base:latest'

describe('tart adapter against the fake tart', () => {
  let root: string
  let fake: FakeTart
  const fakes: FakeTart[] = []

  async function setup(options: Partial<FakeTartOptions> = {}, config: Parameters<typeof tart>[0] = {}) {
    fake = await createFakeTart({ dir: join(root, `fake-${fakes.length}`), seed: true, ipAfterMs: 200, pullDurationMs: 300, ...options })
    fakes.push(fake)
    const provider = tart({ binary: fake.bin, vmLogDir: join(root, 'logs'), ...config })
    return { provider, ctx: createTestContext(provider) }
  }

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'provisio-tart-test-'))
  })
  afterEach(async () => {
    for (const used of fakes.splice(0)) await used.cleanup()
    await rm(root, { recursive: true, force: true })
  })

  it('vm.list and vm.get return the seeded VMs in clean shapes, memory in MB', async () => {
    const { provider, ctx } = await setup()
    const vms = await runAction(ctx, provider, 'vm.list', {})
    expect(vms).toEqual([
      { name: macos, source: 'OCI', disk: 50, size: 22, accessed: '2026-01-05T09:30:00Z', running: false, state: 'stopped' },
      { name: 'ubuntu', source: 'local', disk: 20, size: 3, accessed: '2026-01-04T17:12:00Z', running: false, state: 'stopped' },
    ])
    expect(await runAction(ctx, provider, 'vm.list', { source: 'oci' })).toHaveLength(1)
    expect(await runAction(ctx, provider, 'vm.get', { name: macos })).toEqual({
      name: macos,
      os: 'darwin',
      cpu: 4,
      memory: 8192,
      disk: 50,
      diskFormat: 'raw',
      size: 22,
      display: '1024x768',
      running: false,
      state: 'stopped',
    })
    expect(ctx.lines).toContain(`$ tart get ${macos} --format json`)
    expect(await provider.resources!.list({ config: ctx.config, signal: ctx.signal, storage: ctx.storage })).toHaveLength(2)
  })

  it("a missing VM is a not-found error with tart's message", async () => {
    const { provider, ctx } = await setup()
    for (const action of ['vm.get', 'vm.delete', 'vm.stop', 'vm.ip']) {
      await expect(runAction(ctx, provider, action, { name: 'ghcr.io/nobody/missing:1' })).rejects.toMatchObject({
        code: 'not_found',
        exitCode: 2,
        message: '[provisio] [tart] the specified VM "ghcr.io/nobody/missing:1" does not exist',
      })
    }
    await expect(runAction(ctx, provider, 'vm.run', { name: 'missing', wait: 5 })).rejects.toMatchObject({ code: 'not_found' })
  })

  it('vm.clone copies an OCI-named VM under a name with / and :, vm.set changes it, undo deletes the clone', async () => {
    const { provider, ctx } = await setup()
    const clone = 'builds/runner:42'
    const result = await runAction(ctx, provider, 'vm.clone', { source: macos, name: clone })
    expect(result).toEqual({ name: clone, source: macos })
    const changed = await runAction(ctx, provider, 'vm.set', { name: clone, cpu: 6, memory: 12288, diskSize: 80 })
    expect(changed).toMatchObject({ name: clone, cpu: 6, memory: 12288, disk: 80 })
    await expect(runAction(ctx, provider, 'vm.set', { name: clone, diskSize: 10 })).rejects.toMatchObject({
      code: 'command_failed',
      message: expect.stringContaining('disk size can only be increased'),
    })
    expect(provider.actions['vm.set'].input.safeParse({ name: clone }).success).toBe(false)
    await provider.actions['vm.clone'].undo!(ctx, { source: macos, name: clone }, result)
    await expect(runAction(ctx, provider, 'vm.get', { name: clone })).rejects.toMatchObject({ code: 'not_found' })
  })

  it('vm.create clones, sets each setting (a refused one is a warning), optionally starts; undo stops and deletes', async () => {
    const { provider, ctx } = await setup()
    const created = await runAction(ctx, provider, 'vm.create', { source: macos, name: 'dev', cpu: 6, memory: 16384, diskSize: 40 })
    expect(created).toEqual({ name: 'dev', source: macos, warnings: [expect.stringContaining('disk size can only be increased')], run: null })
    expect(await runAction(ctx, provider, 'vm.get', { name: 'dev' })).toMatchObject({ cpu: 6, memory: 16384, disk: 50, running: false })
    expect(ctx.lines).toEqual(
      expect.arrayContaining([`$ tart clone ${macos} dev`, '$ tart set dev --cpu 6', '$ tart set dev --memory 16384', '$ tart set dev --disk-size 40']),
    )

    const started = await runAction(ctx, provider, 'vm.create', { source: 'ubuntu', name: 'ci/ubuntu:7', run: { vnc: true, requireIp: false, wait: 5 } })
    expect(started).toMatchObject({ name: 'ci/ubuntu:7', warnings: [], run: { ip_address: expect.stringMatching(/^192\.168\.64\./) } })
    expect(isAlive(started.run.pid)).toBe(true)
    await provider.actions['vm.create'].undo!(ctx, { source: 'ubuntu', name: 'ci/ubuntu:7', run: { vnc: true, requireIp: false } }, started)
    expect(isAlive(started.run.pid)).toBe(false)
    await expect(runAction(ctx, provider, 'vm.get', { name: 'ci/ubuntu:7' })).rejects.toMatchObject({ code: 'not_found' })
    await expect(runAction(ctx, provider, 'vm.create', { source: 'missing', name: 'x' })).rejects.toMatchObject({ code: 'not_found' })
  })

  it('vm.run passes extraArgs to tart run; tart refusing one fails the run with its message', async () => {
    const { provider, ctx } = await setup()
    const result = await runAction(ctx, provider, 'vm.run', { name: 'ubuntu', wait: 5, extraArgs: ['--dir', 'src:/tmp', '--no-audio'] })
    expect(result.ip_address).toMatch(/^192\.168\.64\./)
    expect(ctx.lines[0]).toBe(`$ tart run ubuntu --no-graphics --dir src:/tmp --no-audio (detached, log ${result.log_path})`)
    await runAction(ctx, provider, 'vm.stop', { name: 'ubuntu', timeout: 5 })
    await expect(runAction(ctx, provider, 'vm.run', { name: 'ubuntu', wait: 5, extraArgs: ['--bogus'] })).rejects.toMatchObject({
      code: 'command_failed',
      message: expect.stringContaining("Error: Unknown option '--bogus'"),
    })
  })

  it('vm.run starts a detached VM that outlives the job, then vm.ip, vm.delete (refused) and vm.stop', async () => {
    const { provider, ctx } = await setup()
    const result = await runAction(ctx, provider, 'vm.run', { name: macos, vnc: true, wait: 10 })
    expect(result.ip_address).toMatch(/^192\.168\.64\.\d+$/)
    expect(result.vnc_url).toMatch(/^vnc:\/\/:\w+@127\.0\.0\.1:5900$/)
    expect(result.log_path).toBe(join(root, 'logs', `${encodeURIComponent(macos)}.log`))
    expect(await readdir(join(root, 'logs'))).toEqual(['ghcr.io%2Fcirruslabs%2Fmacos-sequoia-base%3Alatest.log'])
    expect(isAlive(result.pid)).toBe(true)
    expect(await readFile(result.log_path, 'utf8')).toContain(result.vnc_url)

    expect(await runAction(ctx, provider, 'vm.ip', { name: macos, wait: 0 })).toEqual({ ip_address: result.ip_address })
    expect(await runAction(ctx, provider, 'vm.get', { name: macos })).toMatchObject({ running: true, state: 'running' })
    await expect(runAction(ctx, provider, 'vm.delete', { name: macos })).rejects.toMatchObject({
      code: 'command_failed',
      exitCode: 1,
      message: expect.stringContaining('the VM is running'),
    })

    expect(await runAction(ctx, provider, 'vm.stop', { name: macos, timeout: 5 })).toEqual({ name: macos, stopped: true, forced: false })
    expect(isAlive(result.pid)).toBe(false)
    expect(await runAction(ctx, provider, 'vm.get', { name: macos })).toMatchObject({ running: false, state: 'stopped' })
    expect(await runAction(ctx, provider, 'vm.delete', { name: macos })).toEqual({ name: macos, deleted: true })
  })

  it('vm.run fails with a timeout error and stops the VM when it never gets an IP', async () => {
    const { provider, ctx } = await setup({ neverIp: true })
    const error = await runAction(ctx, provider, 'vm.run', { name: 'ubuntu', wait: 1 }).catch((e) => e)
    expect(error).toMatchObject({ code: 'no_ip', message: '[provisio] [tart] the VM "ubuntu" got no IP address within 1 s' })
    expect(await runAction(ctx, provider, 'vm.get', { name: 'ubuntu' })).toMatchObject({ running: false })
  })

  it('vm.run with requireIp false completes without an IP and leaves the VM running', async () => {
    const { provider, ctx } = await setup({ neverIp: true })
    const result = await runAction(ctx, provider, 'vm.run', { name: 'ubuntu', wait: 0, requireIp: false })
    expect(result).toMatchObject({ ip_address: null, vnc_url: null })
    expect(isAlive(result.pid)).toBe(true)
    await expect(runAction(ctx, provider, 'vm.ip', { name: 'ubuntu', wait: 0 })).rejects.toMatchObject({ code: 'no_ip' })
  })

  it('vm.run cancelled while waiting for the IP stops the VM within 2 s', async () => {
    const { provider, ctx } = await setup({ neverIp: true })
    const running = runAction(ctx, provider, 'vm.run', { name: 'ubuntu', wait: 30 })
    let pid: number | undefined
    while (!pid) {
      pid = (await ctx.storage.getItem<{ pid: number }>('runs:ubuntu'))?.pid
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
    const cancelledAt = Date.now()
    ctx.controller.abort()
    await expect(running).rejects.toMatchObject({ code: 'aborted' })
    expect(Date.now() - cancelledAt).toBeLessThan(2000)
    expect(isAlive(pid)).toBe(false)
  })

  it('vm.stop kills the run process when tart stop times out', async () => {
    const { provider, ctx } = await setup({ ignoreStop: true }, { killGraceMs: 300 })
    const { pid } = await runAction(ctx, provider, 'vm.run', { name: 'ubuntu', wait: 10 })
    const result = await runAction(ctx, provider, 'vm.stop', { name: 'ubuntu', timeout: 1 })
    expect(result).toEqual({ name: 'ubuntu', stopped: true, forced: true })
    expect(isAlive(pid)).toBe(false)
    expect(ctx.lines.some((line) => line.startsWith('tart stop did not stop ubuntu'))).toBe(true)
    expect(await runAction(ctx, provider, 'vm.get', { name: 'ubuntu' })).toMatchObject({ state: 'stopped' })
  })

  it('vm.pull streams output and reports progress parsed from it', async () => {
    const { provider, ctx } = await setup()
    const name = 'ghcr.io/cirruslabs/ubuntu:24.04'
    expect(await runAction(ctx, provider, 'vm.pull', { name })).toEqual({ name })
    expect(ctx.lines).toContain('pulling disk (22.0 GB compressed)...')
    expect(ctx.progressReports.map((report) => report.percent)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    expect(await runAction(ctx, provider, 'vm.get', { name })).toMatchObject({ os: 'linux', state: 'stopped' })
  })

  it('a command that runs past its timeout fails with a timeout error', async () => {
    const { provider, ctx } = await setup({ pullDurationMs: 20_000 }, { timeouts: { pull: 500 } })
    const startedAt = Date.now()
    await expect(runAction(ctx, provider, 'vm.pull', { name: 'ghcr.io/cirruslabs/debian:latest' })).rejects.toMatchObject({
      code: 'timeout',
      message: '[provisio] [tart] tart pull timed out after 500 ms',
    })
    expect(Date.now() - startedAt).toBeLessThan(2500)
  })

  it("keeps tart's stderr apart: each stderr line is in the output with a [stderr] prefix, stdout lines without", async () => {
    const { provider, ctx } = await setup()
    await runAction(ctx, provider, 'vm.pull', { name: 'ghcr.io/cirruslabs/ubuntu:24.04' })
    await expect(runAction(ctx, provider, 'vm.pull', { name: 'not a registry name' })).rejects.toMatchObject({
      code: 'command_failed',
      message: '[provisio] [tart] tart pull failed with exit code 1: invalid remote name: not a registry name',
    })
    expect(ctx.lines.filter((line) => !line.startsWith('$ '))).toEqual([
      'pulling manifest...',
      'pulling disk (22.0 GB compressed)...',
      ...Array.from({ length: 11 }, (_, step) => `${step * 10}%`),
      `${TART_STDERR_PREFIX}invalid remote name: not a registry name`,
    ])
    expect(TART_STDERR_PREFIX).toBe('[stderr] ')
  })

  it('rejects names that would read as options', async () => {
    const { provider } = await setup()
    expect(provider.actions['vm.get'].input.safeParse({ name: '--format' }).success).toBe(false)
  })

  it('runs clone and its undo as engine jobs', async () => {
    const { provider } = await setup()
    const engine = createEngine({ providers: [provider] })
    await engine.start()
    try {
      const clone = await engine.jobs.submit({ provider: 'tart', action: 'vm.clone', input: { source: 'ubuntu', name: 'ci/ubuntu:pr-7' } })
      const done = await engine.jobs.wait(clone.id)
      expect(done).toMatchObject({ status: 'completed', result: { name: 'ci/ubuntu:pr-7', source: 'ubuntu' } })
      const lines: string[] = []
      for await (const { line } of engine.jobs.output(clone.id)) lines.push(line)
      expect(lines).toEqual(['$ tart clone ubuntu ci/ubuntu:pr-7'])

      const undo = await engine.jobs.submit({
        provider: 'tart',
        action: 'vm.clone',
        input: { source: 'ubuntu', name: 'ci/ubuntu:pr-7' },
        undo: { result: done.result },
      })
      expect(await engine.jobs.wait(undo.id)).toMatchObject({ status: 'completed' })
      const missing = await engine.jobs.wait((await engine.jobs.submit({ provider: 'tart', action: 'vm.get', input: { name: 'ci/ubuntu:pr-7' } })).id)
      expect(missing).toMatchObject({ status: 'failed', error: { code: 'not_found' } })
    } finally {
      await engine.stop()
    }
  })
})
