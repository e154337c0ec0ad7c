import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createEngine } from '@provisio/engine'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { describeWithTool } from '../../../test/helpers/system-tools'
import { ansible, redactPlaybookInput } from '../src/ansible'
import { errorForExitCode } from '../src/_ansible/exit-codes'
import { countPlaybookTasks } from '../src/_ansible/recap'
import { findExecutable, isAlive } from '../src/utils/process'
import { createTestContext, runAction } from './fixtures/context'

const fixtures = fileURLToPath(new URL('./fixtures/ansible/', import.meta.url))
const twoLocalHosts = ['[web]', 'web1 ansible_connection=local', 'web2 ansible_connection=local']

async function waitForFile(path: string, timeoutMs = 15_000): Promise<string> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '')
    if (text.trim()) return text.trim()
    if (Date.now() > until) throw new Error(`${path} never appeared`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describeWithTool('ansible-playbook')('ansible: playbook.run', () => {
  let dir: string
  beforeAll(() => {
    if (!findExecutable('ansible-playbook', { path: process.env.PATH })) {
      throw new Error('ansible-playbook is not installed: run `apt-get install -y ansible` (CI installs it)')
    }
  })
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisio-ansible-test-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('runs a playbook with an object inventory and typed extra vars, parsing the recap per host', async () => {
    const provider = ansible({
      inventory: { all: { hosts: { web1: { ansible_connection: 'local' }, 'web two': { ansible_connection: 'local' } } } },
    })
    const ctx = createTestContext(provider)
    const greeting = "it's $(whoami); a=b"
    const result = await runAction(ctx, provider, 'playbook.run', {
      playbook: 'site.yml',
      cwd: fixtures,
      extraVars: { greeting, marker_dir: dir },
    })
    const clean = { ok: 2, changed: 1, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 }
    expect(result).toEqual({ exitCode: 0, check: false, hosts: { web1: clean, 'web two': clean } })
    expect(ctx.lines[0]).toMatch(/^\$ ansible-playbook -i \S+inventory\.yml -e @\S+extra-vars\.json site\.yml$/)
    expect(ctx.lines).toContain('TASK [Say hello] ***************************************************************')
    expect(ctx.lines.some((line) => line.includes(`"msg": "hello ${greeting} from web two"`))).toBe(true)
    expect(await readFile(join(dir, 'web two.txt'), 'utf8')).toBe(`${greeting}\n`)
    expect(ctx.progressReports.map((report) => report.step)).toEqual(['Say hello', 'Write a marker file', 'Skipped on purpose', undefined])
    expect(ctx.progressReports.map((report) => report.percent)).toEqual([0, 33, 66, 100])
  })

  it('runs in check mode on the hosts of --limit without changing anything', async () => {
    const provider = ansible({ inventory: twoLocalHosts })
    const ctx = createTestContext(provider)
    const result = await runAction(ctx, provider, 'playbook.run', {
      playbook: join(fixtures, 'site.yml'),
      extraVars: { greeting: 'dry', marker_dir: dir },
      check: true,
      limit: ['web1'],
    })
    expect(result.check).toBe(true)
    expect(Object.keys(result.hosts)).toEqual(['web1'])
    expect(result.hosts.web1.changed).toBe(1)
    expect(ctx.lines[0]).toContain('--check --limit web1')
    expect(await readdir(dir)).toEqual([])
  })

  it('fails naming the failing host, keeping the recap of both hosts', async () => {
    const provider = ansible({ inventory: twoLocalHosts })
    const ctx = createTestContext(provider)
    const error = await runAction(ctx, provider, 'playbook.run', {
      playbook: join(fixtures, 'fail-one.yml'),
      extraVars: { failing_host: 'web2' },
    }).catch((e) => e)
    expect(error).toMatchObject({ code: 'host_failed', exitCode: 2, message: '[provisio] [ansible] playbook failed on host web2' })
    expect(error.details.hosts.web1).toMatchObject({ ok: 1, failed: 0, skipped: 1 })
    expect(error.details.hosts.web2).toMatchObject({ ok: 1, failed: 1 })
    expect(ctx.events).toEqual([{ type: 'ansible.recap', data: error.details }])
    expect(ctx.lines.at(-1)).toBe('[EXIT CODE: 2]')
  })

  it('uses a 0600 vault password file that is removed afterwards and never printed', async () => {
    const tempRoot = join(dir, 'temp')
    await import('node:fs/promises').then((fs) => fs.mkdir(tempRoot))
    const provider = ansible({ tempDir: tempRoot })
    const ctx = createTestContext(provider)
    const input = {
      playbook: join(fixtures, 'vault.yml'),
      inventory: ['localhost ansible_connection=local'],
      vaultPassword: 'correct-horse-vault',
      extraVars: { temp_root: tempRoot, db_password: 'pw-in-vars', deploy_key: 'dk-123' },
      secretVars: ['deploy_key'],
    }
    const result = await runAction(ctx, provider, 'playbook.run', input)
    expect(result.exitCode).toBe(0)
    expect(ctx.lines.some((line) => line.includes('vault says opened-vault-value'))).toBe(true)
    expect(ctx.lines.some((line) => line.includes('"msg": "db password is ***"'))).toBe(true)
    const listed = ctx.lines.filter((line) => line.includes('tempfile')).map((line) => line.trim().replace(/[",]/g, ''))
    expect(listed.sort()).toEqual(['tempfile 600 extra-vars.json', 'tempfile 600 inventory.ini', 'tempfile 600 vault-password'])
    expect(await readdir(tempRoot)).toEqual([])
    const stored = redactPlaybookInput(input)
    expect(stored.vaultPassword).toBe('***')
    expect(stored.extraVars).toEqual({ temp_root: tempRoot, db_password: '***', deploy_key: '***' })
    const everything = JSON.stringify({ lines: ctx.lines, result, stored })
    for (const secret of ['correct-horse-vault', 'pw-in-vars', 'dk-123']) expect(everything).not.toContain(secret)
  })

  it("maps a syntax error to a parse error (exit 4) with ansible's reason", async () => {
    const provider = ansible()
    const ctx = createTestContext(provider)
    const error = await runAction(ctx, provider, 'playbook.run', {
      playbook: join(fixtures, 'syntax-error.yml'),
      inventory: ['localhost ansible_connection=local'],
    }).catch((e) => e)
    expect(error).toMatchObject({ code: 'parse_error', exitCode: 4 })
    expect(error.message).toContain('could not be parsed')
    expect(error.message).toContain('unable to read either as JSON nor YAML')
  })

  it("fails with ansible's reason when the playbook does not exist", async () => {
    const provider = ansible()
    const ctx = createTestContext(provider)
    const error = await runAction(ctx, provider, 'playbook.run', {
      playbook: join(fixtures, 'no-such-playbook.yml'),
      inventory: ['localhost ansible_connection=local'],
    }).catch((e) => e)
    expect(error).toMatchObject({ code: 'error', exitCode: 1 })
    expect(error.message).toMatch(/exit code 1: the playbook: \S+no-such-playbook\.yml could not be found$/)
  })

  it('kills the whole process tree on cancel', async () => {
    const pidFile = join(dir, 'sleep.pid')
    const provider = ansible()
    const ctx = createTestContext(provider)
    const running = runAction(ctx, provider, 'playbook.run', {
      playbook: join(fixtures, 'slow.yml'),
      inventory: ['localhost ansible_connection=local'],
      extraVars: { pid_file: pidFile },
    })
    const sleepPid = Number(await waitForFile(pidFile))
    expect(isAlive(sleepPid)).toBe(true)
    const cancelledAt = Date.now()
    ctx.controller.abort()
    await expect(running).rejects.toMatchObject({ code: 'interrupted' })
    expect(Date.now() - cancelledAt).toBeLessThan(2500)
    const until = Date.now() + 2000
    while (isAlive(sleepPid) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(isAlive(sleepPid)).toBe(false)
  })

  it('fails with install instructions when ansible-playbook is missing', async () => {
    const provider = ansible({ binary: join(dir, 'ansible-playbook') })
    const ctx = createTestContext(provider)
    await expect(runAction(ctx, provider, 'playbook.run', { playbook: 'site.yml' })).rejects.toMatchObject({
      code: 'not_installed',
      message: expect.stringContaining('apt-get install -y ansible'),
    })
  })
})

describeWithTool('ansible-playbook')('ansible: through the engine', () => {
  it('keeps the vault password and secret vars out of the job record and output', async () => {
    const engine = createEngine({ providers: [ansible({ inventory: ['localhost ansible_connection=local'] })] })
    await engine.start()
    try {
      const job = await engine.jobs.submit({
        provider: 'ansible',
        action: 'playbook.run',
        input: {
          playbook: join(fixtures, 'fail-one.yml'),
          extraVars: { failing_host: 'localhost', admin_password: 'pw-77' },
          vaultPassword: 'vault-pw-88',
        },
      })
      const done = await engine.jobs.wait(job.id)
      expect(done).toMatchObject({ status: 'failed', error: { code: 'host_failed', message: '[provisio] [ansible] playbook failed on host localhost' } })
      expect(done.input).toMatchObject({ vaultPassword: '***', extraVars: { failing_host: 'localhost', admin_password: '***' } })
      const lines: string[] = []
      for await (const { line } of engine.jobs.output(job.id)) lines.push(line)
      expect(lines.at(-1)).toBe('[EXIT CODE: 2]')
      const everything = JSON.stringify({ done, lines })
      for (const secret of ['pw-77', 'vault-pw-88']) expect(everything).not.toContain(secret)
    } finally {
      await engine.stop()
    }
  })
})

describeWithTool('ansible-playbook')('ansible: playbook.check', () => {
  it('accepts a valid playbook without running it', async () => {
    const provider = ansible({ inventory: ['localhost ansible_connection=local'] })
    const ctx = createTestContext(provider)
    expect(await runAction(ctx, provider, 'playbook.check', { playbook: 'site.yml', cwd: fixtures })).toEqual({ valid: true })
    expect(ctx.lines[0]).toBe(`$ ansible-playbook -i ${ctx.lines[0].split(' ')[3]} --syntax-check site.yml`)
    expect(ctx.lines).not.toContain('TASK [Say hello] ***************************************************************')
  })
})

describe('ansible: exit codes', () => {
  it('maps each documented exit code to an error code', () => {
    const hosts = { db1: { ok: 0, changed: 0, unreachable: 1, failed: 0, skipped: 0, rescued: 0, ignored: 0 } }
    expect(errorForExitCode(4, { hosts })).toMatchObject({ code: 'unreachable', message: '[provisio] [ansible] unreachable host: db1' })
    expect(errorForExitCode(3, { hosts })).toMatchObject({ code: 'unreachable' })
    expect(errorForExitCode(5, { hosts: {}, lastError: 'bad flag' })).toMatchObject({ code: 'bad_options', message: expect.stringContaining('bad flag') })
    for (const code of [99, 130, 143]) expect(errorForExitCode(code, { hosts: {} }).code).toBe('interrupted')
    expect(errorForExitCode(250, { hosts: {} }).code).toBe('unexpected')
    expect(errorForExitCode(1, { hosts: {} }).code).toBe('error')
  })
})

describe('ansible: countPlaybookTasks', () => {
  it('counts the items of tasks lists across plays, ignoring handlers', () => {
    const playbook = [
      '- hosts: all',
      '  pre_tasks:',
      '    - name: a',
      '      debug: {}',
      '  tasks:',
      '  - name: b',
      '    debug:',
      '      msg: "- not a task"',
      '  - name: c',
      '    debug: {}',
      '  handlers:',
      '    - name: h',
      '- hosts: db',
      '  tasks:',
      '    # a comment',
      '    - name: d',
    ].join('\n')
    expect(countPlaybookTasks(playbook)).toBe(4)
  })
})
