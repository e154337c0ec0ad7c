import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startVultrStandIn, type VultrStandIn } from '@provisio/adapters/testing'
import { describeWithTool } from '../../../test/helpers/system-tools'

// The real vultr.cloud collection (Debian's `ansible` package) is the judge of
// the stand-in's fidelity: its modules must work against it unchanged.

const apiKey = 'ANSIBLEKEY7C1D8E4F3F9C2E7A41D84B0C9E'
let stand: VultrStandIn
let dir: string

beforeAll(async () => {
  stand = await startVultrStandIn({ apiKey, port: 0, readyAfterMs: 300, powerDelayMs: 100 })
  dir = await mkdtemp(join(tmpdir(), 'provisio-vultr-ansible-'))
})
afterAll(async () => {
  await stand?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

async function requireCollection(): Promise<void> {
  const listed = await execa('ansible-galaxy', ['collection', 'list', 'vultr.cloud'], { reject: false, env: { ANSIBLE_NOCOLOR: '1' } }).catch(() => undefined)
  if (listed?.exitCode !== 0 || !/vultr\.cloud\s+\d/.test(listed.stdout)) {
    throw new Error("the vultr.cloud ansible collection is missing: run `apt-get install -y ansible` (Debian's ansible package ships it)")
  }
}

type TaskResult = Record<string, any>
interface PlaybookReport {
  plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, TaskResult> }> }>
  stats: Record<string, { failures: number; ok: number; changed: number }>
}

const playbook = `
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: regions
      vultr.cloud.region_info:
    - name: plans
      vultr.cloud.plan_info:
    - name: images
      vultr.cloud.os_info:
    - name: create
      vultr.cloud.instance:
        label: ansible-web-1
        hostname: web1
        region: fra
        plan: vc2-2c-4gb
        os: Debian 12 x64 (bookworm)
        tags: [web]
    - name: create again
      vultr.cloud.instance:
        label: ansible-web-1
        region: fra
        plan: vc2-2c-4gb
        os: Debian 12 x64 (bookworm)
    - name: inventory
      vultr.cloud.instance_info:
        region: fra
    - name: delete
      vultr.cloud.instance:
        label: ansible-web-1
        region: fra
        state: absent
`

describeWithTool('ansible-playbook')('vultr stand-in: the real ansible vultr.cloud collection', () => {
  it('lists the catalogues and creates, finds and deletes an instance', async () => {
    await requireCollection()
    const file = join(dir, 'playbook.yml')
    await writeFile(file, playbook)
    const result = await execa('ansible-playbook', ['-i', 'localhost,', file], {
      cwd: dir,
      reject: false,
      timeout: 80_000,
      env: {
        VULTR_API_ENDPOINT: stand.apiUrl,
        VULTR_API_KEY: apiKey,
        ANSIBLE_STDOUT_CALLBACK: 'json',
        ANSIBLE_LOCALHOST_WARNING: 'False',
        ANSIBLE_HOST_KEY_CHECKING: 'False',
        ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'),
        ANSIBLE_RETRY_FILES_ENABLED: 'False',
        PYTHONUNBUFFERED: '1',
      },
    })
    expect(result.exitCode, result.stderr || result.stdout).toBe(0)
    const report = JSON.parse(result.stdout) as PlaybookReport
    const task = (name: string) => report.plays[0]!.tasks.find((each) => each.task.name === name)!.hosts.localhost!

    expect(task('regions').vultr_region_info).toContainEqual(
      expect.objectContaining({ id: 'ewr', city: 'New Jersey', country: 'US', continent: 'North America' }),
    )
    expect(task('plans').vultr_plan_info).toContainEqual(expect.objectContaining({ id: 'vc2-1c-1gb', vcpu_count: 1, ram: 1024, disk: 25 }))
    expect(task('images').vultr_os_info).toContainEqual(expect.objectContaining({ id: 2284, name: 'Ubuntu 24.04 LTS x64' }))

    const created = task('create')
    expect(created.changed).toBe(true)
    expect(created.vultr_instance).toMatchObject({
      label: 'ansible-web-1',
      hostname: 'web1',
      region: 'fra',
      plan: 'vc2-2c-4gb',
      os_id: 2136,
      status: 'active',
      server_status: 'ok',
      tags: ['web'],
    })
    expect(created.vultr_instance.main_ip).toMatch(/^203\.0\.113\./)
    expect(task('create again').changed).toBe(false)
    expect(task('inventory').vultr_instance_info).toEqual([expect.objectContaining({ id: created.vultr_instance.id, label: 'ansible-web-1' })])
    expect(task('delete').changed).toBe(true)
    expect(stand.state.instances.size).toBe(0)
    expect(report.stats.localhost).toMatchObject({ failures: 0, changed: 2 })
  }, 90_000)
})
