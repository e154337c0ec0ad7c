import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { verifyWebhookSignature } from '@provisio/plugins'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, startCli, waitForOutput, type CliRun } from './cli-process'

const secret = 'hook-secret'

/** Runs the CLI to its end, with the whole PATH (jobs run shell commands). */
const provisio = (args: string[], env: Record<string, string> = {}, cwd?: string) => runCli(args, { env: { PATH: process.env.PATH!, ...env }, cwd })

describe('provisio jobs and workflows against a running server, with webhooks from provisio.yaml', () => {
  let dir: string
  let server: CliRun
  let orchestrator: string
  let token: string
  let receiver: Server
  const hooks: { body: string; signature: string | undefined }[] = []
  let env: Record<string, string>

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisio-cli-jobs-'))
    receiver = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk) => (body += chunk))
      request.on('end', () => {
        hooks.push({ body, signature: request.headers['x-provisio-signature'] as string | undefined })
        response.end('ok')
      })
    })
    receiver.listen(0, '127.0.0.1')
    await once(receiver, 'listening')
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
    await writeFile(
      join(dir, 'provisio.yaml'),
      [
        'storage: memory',
        'surfaces: [control-center, orchestrator]',
        'ports: { control-center: 0, orchestrator: 0 }',
        'webhooks:',
        '  enabled: true',
        '  endpoints:',
        `    - url: ${hookUrl}`,
        '      events: [task.completed, task.failed, batch.completed]',
        `      secret: ${secret}`,
      ].join('\n'),
    )
    server = startCli(['serve', '--sandbox'], { cwd: dir, env: { PATH: process.env.PATH!, PROVISIO_ADMIN_PASSWORD: 'cli-admin-password' } })
    orchestrator = (await waitForOutput(server, /orchestrator\s+(http:\S+)/, 60_000))[1]
    const controlCenter = (await waitForOutput(server, /control-center\s+(http:\S+)/, 60_000))[1]
    const login = await fetch(`${controlCenter}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'cli-admin-password' }),
    })
    token = ((await login.json()) as { data: { token: string } }).data.token
    env = { PROVISIO_URL: orchestrator, PROVISIO_TOKEN: token }
  }, 90_000)

  afterAll(async () => {
    server?.child.kill('SIGTERM')
    await server?.exited
    receiver?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('submits a workflow file, follows it to the end, and lists, shows and prints its tasks', async () => {
    await writeFile(
      join(dir, 'deploy.yaml'),
      [
        'name: cli-deploy',
        'operations:',
        '  - id: hello',
        '    provider: exec',
        '    action: run',
        '    input: { command: "echo hello from the cli" }',
        '  - id: after',
        '    provider: exec',
        '    action: run',
        '    input: { command: "echo second" }',
        '    dependencies: [hello]',
      ].join('\n'),
    )
    const submitted = await provisio(['workflows', 'submit', join(dir, 'deploy.yaml'), '--follow'], env)
    expect(submitted.code, submitted.stderr).toBe(0)
    const batchId = submitted.stdout.split('\n')[0].trim()
    expect(submitted.stdout).toMatch(/\] 100%/)
    expect(submitted.stdout).toMatch(/hello\s+Completed\s+100%/)

    const list = await provisio(['workflows', 'list'], env)
    expect(list.stdout).toContain(batchId)

    const tasks = await provisio(['jobs', 'list', '--json'], env)
    const all = JSON.parse(tasks.stdout) as { id: string; name: string; kind: string }[]
    const hello = all.find((task) => task.name === 'hello')!
    expect(all.some((task) => task.id === batchId && task.kind === 'workflow')).toBe(true)

    const logs = await provisio(['jobs', 'logs', hello.id], env)
    expect(logs.stdout.trim().split('\n')).toEqual(['$ echo hello from the cli', 'hello from the cli'])
    const get = await provisio(['jobs', 'get', hello.id], env)
    expect(get.stdout).toMatch(/status\s+Completed/)

    // The webhook receiver got signed task and batch events it can verify.
    const deadline = Date.now() + 10_000
    while (!hooks.some((hook) => JSON.parse(hook.body).event === 'batch.completed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    const batchHook = hooks.find((hook) => JSON.parse(hook.body).event === 'batch.completed')!
    expect(JSON.parse(batchHook.body)).toMatchObject({
      event: 'batch.completed',
      data: { batch_id: batchId },
      signature: expect.stringMatching(/^sha256=[0-9a-f]{64}$/),
    })
    expect(verifyWebhookSignature(batchHook.body, secret, batchHook.signature)).toBe(true)
    const taskHook = hooks.find((hook) => JSON.parse(hook.body).data.task_id === hello.id)!
    expect(JSON.parse(taskHook.body).data.output).toContain('hello from the cli')
  })

  it('follows a running job live, cancels one, and exits 1 for a failed one', async () => {
    const post = (body: unknown) =>
      fetch(`${orchestrator}/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (response) => ((await response.json()) as { data: string }).data)
    const counting = await post({ provider: 'exec', action: 'run', input: { command: 'for i in 1 2 3; do echo tick $i; sleep 0.3; done' } })
    const followed = await provisio(['jobs', 'logs', counting, '--follow'], env)
    expect(followed.code).toBe(0)
    expect(followed.stdout.trim().split('\n').slice(1)).toEqual(['tick 1', 'tick 2', 'tick 3'])
    expect(followed.stderr).toContain('-- Completed')

    const failing = await post({ provider: 'exec', action: 'run', input: { command: 'echo oops; exit 3' } })
    const failed = await provisio(['jobs', 'logs', failing, '-f'], env)
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/-- Failed: .*3/)

    const sleeping = await post({ provider: 'exec', action: 'run', input: { command: 'sleep 30' } })
    await new Promise((r) => setTimeout(r, 300))
    const cancelled = await provisio(['jobs', 'cancel', sleeping], env)
    expect(cancelled.stdout.trim()).toBe(`${sleeping} Cancelled`)
  })

  it('says what is wrong in one line with exit code 1', async () => {
    const noToken = await provisio(['jobs', 'list'], { PROVISIO_URL: orchestrator })
    expect(noToken.code).toBe(1)
    expect(noToken.stderr.trim()).toMatch(/^ERROR\s+No token: pass --token or set PROVISIO_TOKEN/)
    const badToken = await provisio(['jobs', 'list', '--token', 'forged'], { PROVISIO_URL: orchestrator })
    expect(badToken.stderr.trim().split('\n')).toHaveLength(1)
    expect(badToken.stderr.trim()).toMatch(/^ERROR\s+401: /)
    const unknown = await provisio(['jobs', 'get', 'no-such-task'], env)
    expect(unknown.stderr.trim()).toMatch(/^ERROR\s+404: No task "no-such-task"$/)
    const closed = createServer().listen(0, '127.0.0.1')
    await once(closed, 'listening')
    const port = (closed.address() as AddressInfo).port
    closed.close()
    const unreachable = await provisio(['jobs', 'list', '--url', `http://127.0.0.1:${port}`], env)
    expect(unreachable.stderr.trim()).toMatch(new RegExp(`^ERROR\\s+Cannot reach http://127\\.0\\.0\\.1:${port}: ECONNREFUSED$`))
    const missingFile = await provisio(['workflows', 'submit', join(dir, 'nope.yaml')], env)
    expect(missingFile.stderr.trim()).toMatch(/nope\.yaml: no such file$/)
    await writeFile(join(dir, 'bad.yaml'), 'name: x\noperations: [{ id: a, provider: exec, action: run, dependencies: [ghost] }]')
    const invalid = await provisio(['workflows', 'submit', join(dir, 'bad.yaml')], env)
    expect(invalid.code).toBe(1)
    expect(invalid.stderr.trim()).toMatch(/^ERROR\s+422: .*ghost/)
  })
})
