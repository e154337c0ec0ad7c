import { chmod, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFakeTart } from '@provisio/adapters/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { macos, startTartvm, type TartvmServer } from './helpers'

const taskShape = {
  id: expect.stringMatching(/^[A-Za-z0-9_-]{11}$/),
  action: expect.any(String),
  status: expect.any(String),
  command: null,
  exit_code: null,
  result: null,
  error: null,
  stderr: null,
  created_at: expect.any(Number),
  updated_at: expect.any(Number),
  logs: [],
}

describe('tartvm tasks on the fake tart', () => {
  let app: TartvmServer | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  it('start answers a pending task at once; its IP appears late; the VM shows running with its IP', async () => {
    app = await startTartvm({ fake: { ipAfterMs: 1_200 } })
    const started = Date.now() / 1000
    const answer = await app.api('POST', `/api/vms/${encodeURIComponent(macos)}/start`, { body: {} })
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ ...taskShape, action: 'start_vm', status: 'pending', vm_name: macos })
    expect(answer.body.created_at).toBeGreaterThanOrEqual(Math.floor(started))
    expect(Number.isInteger(answer.body.created_at)).toBe(false)

    const done = await app.waitTask(answer.body.id)
    expect(done).toMatchObject({
      status: 'completed',
      command: [app.fake.bin, 'run', macos, '--no-graphics', '--vnc'],
      exit_code: 0,
      error: null,
      result: { message: `VM '${macos}' started successfully`, ip_address: expect.stringMatching(/^192\.168\.64\.\d+$/), pid: expect.stringMatching(/^\d+$/) },
    })
    expect(done.result.vnc_url).toBe(`vnc://${done.result.ip_address}`)
    expect(done.logs.join('\n')).toContain(`$ tart run ${macos} --no-graphics --vnc`)
    expect(done.updated_at).toBeGreaterThan(done.created_at + 1)
    // The finished task refreshed the inventory.
    await expect
      .poll(async () => (await app!.api('GET', `/api/vms/${macos}`)).body, { timeout: 5_000 })
      .toMatchObject({ status: 'running', ip_address: done.result.ip_address })
  })

  it('a start whose IP never appears completes with ip_address null, the VM left running', async () => {
    app = await startTartvm({ fake: { neverIp: true }, tart: { ipWaitSeconds: 1 } })
    const { body } = await app.api('POST', '/api/vms/ubuntu/start', { body: {} })
    const done = await app.waitTask(body.id)
    expect(done).toMatchObject({ status: 'completed', result: { ip_address: null, vnc_url: null } })
    expect(done.logs.join('\n')).toMatch(/no IP address for ubuntu after 1 s; it keeps running/)
    await expect.poll(async () => (await app!.api('GET', '/api/vms/ubuntu')).body, { timeout: 5_000 }).toMatchObject({ status: 'running', ip_address: null })
  })

  it('stop falls back when tart stop does not stop the VM; stop and delete work on OCI names', async () => {
    app = await startTartvm({ fake: { ignoreStop: true } })
    const start = await app.api('POST', `/api/vms/${macos}/start`, { body: {} })
    expect((await app.waitTask(start.body.id)).status).toBe('completed')
    const stop = await app.api('POST', `/api/vms/${macos}/stop`, { body: {} })
    expect(stop.body).toMatchObject({ action: 'stop_vm', status: 'pending', vm_name: macos })
    const stopped = await app.waitTask(stop.body.id)
    expect(stopped).toMatchObject({
      status: 'completed',
      command: [app.fake.bin, 'stop', macos, '--timeout', '1'],
      result: { message: `VM '${macos}' stopped successfully`, forced: true },
    })
    expect(stopped.logs.join('\n')).toMatch(/falling back/)
    await expect.poll(async () => (await app!.api('GET', `/api/vms/${encodeURIComponent(macos)}`)).body.status, { timeout: 5_000 }).toBe('stopped')

    const deleted = await app.waitTask((await app.api('POST', `/api/vms/${encodeURIComponent(macos)}/delete`, { body: {} })).body.id)
    expect(deleted).toMatchObject({ status: 'completed', action: 'delete_vm', result: { message: `VM '${macos}' deleted successfully` } })
    await expect.poll(async () => (await app!.api('GET', `/api/vms/${macos}`)).status, { timeout: 5_000 }).toBe(404)
  })

  it('pull: a pulled image appears in the inventory; a failing pull fails with exit code, stderr and a [stderr] line', async () => {
    app = await startTartvm()
    const image = 'ghcr.io/cirruslabs/ubuntu:24.04'
    const pull = await app.api('POST', '/api/vms/pull', { body: { oci_url: image } })
    expect(pull.body).toMatchObject({ action: 'pull_vm', status: 'pending', oci_url: image })
    const pulled = await app.waitTask(pull.body.id)
    expect(pulled).toMatchObject({ status: 'completed', result: { message: `VM image pulled successfully: ${image}` }, command: [app.fake.bin, 'pull', image] })
    expect(pulled.logs).toEqual(expect.arrayContaining(['pulling manifest...', '100%']))
    await expect
      .poll(async () => (await app!.api('GET', `/api/vms/${image}`)).body, { timeout: 5_000 })
      .toMatchObject({ name: image, source: 'OCI', status: 'stopped' })

    const failing = await app.waitTask((await app.api('POST', '/api/vms/pull', { body: { oci_url: 'not a registry name' } })).body.id)
    expect(failing).toMatchObject({ status: 'failed', exit_code: 1 })
    expect(failing.error).toMatch(/tart pull failed with exit code 1: invalid remote name: not a registry name/)
    expect(failing.stderr).toBe(failing.error)
    expect(failing.logs.at(-1)).toBe(`[stderr] ${failing.error}`)
    // The tart adapter marks tart's own stderr lines in the job output: shown as they are, never prefixed twice.
    expect(failing.logs.filter((line: string) => line.startsWith('[stderr] [stderr]'))).toEqual([])

    for (const body of [{}, { oci_url: '' }, { oci_url: 42 }]) {
      const refused = await app.api('POST', '/api/vms/pull', { body })
      expect(refused.status).toBe(422)
      expect(refused.body.detail[0]).toMatchObject({ loc: ['body', 'oci_url'], msg: expect.any(String), type: expect.any(String) })
    }
  })

  it('clone makes a local VM; tasks list as active while they run; unknown tasks are 404', async () => {
    app = await startTartvm({ fake: { pullDurationMs: 1_500 } })
    const pull = await app.api('POST', '/api/vms/pull', { body: { oci_url: 'ghcr.io/cirruslabs/debian:latest' } })
    await expect.poll(async () => (await app!.api('GET', '/api/tasks/active')).body.map((task: { id: string }) => task.id)).toContain(pull.body.id)
    const active = (await app.api('GET', '/api/tasks/active')).body.find((task: { id: string }) => task.id === pull.body.id)
    expect(active).toMatchObject({ status: 'running', action: 'pull_vm', oci_url: 'ghcr.io/cirruslabs/debian:latest' })
    await app.waitTask(pull.body.id)
    expect((await app.api('GET', '/api/tasks/active')).body).toEqual([])

    const clone = await app.waitTask((await app.api('POST', '/api/vms/ubuntu/clone', { body: { new_name: 'ubuntu-2' } })).body.id)
    expect(clone).toMatchObject({ status: 'completed', result: { new_vm_name: 'ubuntu-2' } })
    await expect.poll(async () => (await app!.api('GET', '/api/vms/ubuntu-2')).body, { timeout: 5_000 }).toMatchObject({ source: 'local' })
    expect(await app.api('GET', '/api/tasks/nope')).toMatchObject({ status: 404, body: { detail: 'Task not found' } })
  })

  it('create clones a pulled image and sets CPU, memory and disk; a refused setting is a warning, as the real server', async () => {
    app = await startTartvm()
    const { body: task } = await app.api('POST', '/api/vms/create', { body: { name: 'dev', source_vm: macos, cpu: 6, memory: 16, disk_size: 80 } })
    expect(task).toMatchObject({ ...taskShape, action: 'create_vm', status: 'pending', vm_name: 'dev' })
    const done = await app.waitTask(task.id)
    expect(done).toMatchObject({
      status: 'completed',
      exit_code: 0,
      command: [app.fake.bin, 'clone', macos, 'dev'],
      result: { message: `VM 'dev' created successfully from ${macos}`, name: 'dev', source: macos, cpu: 6, memory: '16GB', disk_size: '80GB' },
    })
    expect(done.logs).toEqual([`$ tart clone ${macos} dev`, '$ tart set dev --cpu 6', '$ tart set dev --memory 16384', '$ tart set dev --disk-size 80'])
    expect((await app.api('GET', '/api/vms/dev/config?force_refresh=true')).body).toMatchObject({ name: 'dev', cpu: 6, memory: '16G', disk_size: '80G' })

    const smaller = await app.waitTask(
      (await app.api('POST', '/api/vms/create', { body: { name: 'small', source_vm: 'ubuntu', cpu: 2, memory: 4, disk_size: 10 } })).body.id,
    )
    expect(smaller.status).toBe('completed')
    expect(smaller.logs.at(-1)).toMatch(/^warning: tart set --disk-size 10 was refused: .*disk size can only be increased/)
    expect((await app.api('GET', '/api/vms/small/config?force_refresh=true')).body).toMatchObject({ disk_size: '20G' })

    const missing = await app.waitTask(
      (await app.api('POST', '/api/vms/create', { body: { name: 'y', source_vm: 'nope', cpu: 2, memory: 4, disk_size: 50 } })).body.id,
    )
    expect(missing).toMatchObject({ status: 'failed', error: 'the specified VM "nope" does not exist' })
    const refused = await app.api('POST', '/api/vms/create', { body: { name: 'z', source_vm: macos, cpu: 'four', memory: 4, disk_size: 50 } })
    expect(refused.status).toBe(422)
    expect(refused.body.detail[0]).toMatchObject({ loc: ['body', 'cpu'] })
  })

  it('clone with start_after_clone starts the clone in the same task; start passes extra_args to tart run', async () => {
    app = await startTartvm()
    const clone = await app.waitTask((await app.api('POST', '/api/vms/ubuntu/clone', { body: { new_name: 'ci/ubuntu:1', start_after_clone: true } })).body.id)
    expect(clone).toMatchObject({
      status: 'completed',
      action: 'clone_vm',
      result: {
        message: 'VM cloned successfully: ci/ubuntu:1',
        new_vm_name: 'ci/ubuntu:1',
        started: true,
        ip_address: expect.stringMatching(/^192\.168\.64\./),
        pid: expect.any(String),
      },
    })
    expect(clone.result.vnc_url).toBe(`vnc://${clone.result.ip_address}`)
    await expect
      .poll(async () => (await app!.api('GET', '/api/vms/ci/ubuntu:1')).body, { timeout: 5_000 })
      .toMatchObject({ status: 'running', ip_address: clone.result.ip_address })

    const start = await app.waitTask((await app.api('POST', '/api/vms/ubuntu/start', { body: { extra_args: ['--dir', 'src:/tmp', '--no-audio'] } })).body.id)
    expect(start).toMatchObject({ status: 'completed', command: [app.fake.bin, 'run', 'ubuntu', '--no-graphics', '--vnc', '--dir', 'src:/tmp', '--no-audio'] })
    expect(start.logs[0]).toMatch(/^\$ tart run ubuntu --no-graphics --vnc --dir src:\/tmp --no-audio \(detached/)
    await app.waitTask((await app.api('POST', '/api/vms/ubuntu/stop', { body: {} })).body.id)
    // tart itself judges the options: one it does not know fails the task with its message.
    const bogus = await app.waitTask((await app.api('POST', '/api/vms/ubuntu/start', { body: { extra_args: ['--bogus'] } })).body.id)
    expect(bogus).toMatchObject({ status: 'failed', error: expect.stringContaining("Error: Unknown option '--bogus'") })
    expect((await app.api('POST', '/api/vms/ubuntu/start', { body: { extra_args: '--dir' } })).status).toBe(422)
  })

  it('tasks are engine jobs: they survive a server restart and show in the engine job list', async () => {
    app = await startTartvm()
    const pulled = await app.waitTask((await app.api('POST', '/api/vms/pull', { body: { oci_url: 'ghcr.io/cirruslabs/fedora:40' } })).body.id)
    const jobs = await app.engine.jobs.list({ label: { 'tartvm.task': pulled.id } })
    expect(jobs.items).toHaveLength(1)
    expect(jobs.items[0]).toMatchObject({ provider: 'tart', action: 'vm.pull', status: 'completed', labels: { surface: 'tartvm', 'tartvm.action': 'pull_vm' } })
    await app.stop()
    app = await startTartvm({ root: app.root, fake: app.fake })
    const after = await app.api('GET', `/api/tasks/${pulled.id}`)
    expect(after.status).toBe(200)
    expect(after.body).toEqual(pulled)
  })

  it('logs keep the last 1,000 lines', async () => {
    const root = await mkdtemp(join(tmpdir(), 'provisio-tartvm-'))
    const fake = await createFakeTart({ dir: join(root, 'fake'), seed: true, pullDurationMs: 100 })
    // A tart that prints 1,500 lines before pulling: a real process, real lines.
    const chatty = join(root, 'chatty-tart')
    await writeFile(
      chatty,
      `#!/bin/sh\nif [ "$1" = pull ]; then i=0; while [ $i -lt 1500 ]; do echo "chunk $i"; i=$((i+1)); done; fi\nexec "${fake.bin}" "$@"\n`,
    )
    await chmod(chatty, 0o755)
    app = await startTartvm({ root, fake, tart: { binary: chatty } })
    const done = await app.waitTask((await app.api('POST', '/api/vms/pull', { body: { oci_url: 'ghcr.io/cirruslabs/arch:1' } })).body.id)
    expect(done.status).toBe('completed')
    expect(done.logs).toHaveLength(1000)
    expect(done.logs.at(-1)).toBe('100%')
    expect(done.logs).not.toContain('chunk 0')
    expect(done.logs).toContain('chunk 1499')
  })
})
