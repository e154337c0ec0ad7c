import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeWithTool } from '../../../../../test/helpers/system-tools'
import type { CloudlabVault } from '../../../src/surfaces/cloudlab/context'
import { startCloudlab, tempDir, writeServices, type CloudlabTest } from './starter'

const vaultPassword = 'open-sesame-vault'

const playbook = `- hosts: localhost
  connection: local
  gather_facts: false
  vars_files: [vault.yml]
  tasks:
    - name: Show the vaulted value
      debug:
        msg: "vaulted value is {{ vaulted }}"
    - name: Write it where the service keeps its outputs
      copy:
        content: "{{ vaulted }}"
        dest: "{{ playbook_dir }}/outputs/result.txt"
`

describeWithTool('ansible-playbook')('cloudlab deploys running the real ansible-playbook', () => {
  let lab: CloudlabTest
  let services: string
  let stored: string | undefined
  const vault: CloudlabVault = {
    password: async () => stored,
    store: async (password) => {
      stored = password
    },
  }

  beforeAll(async () => {
    services = tempDir('ansible')
    writeServices(services, {
      'vaulted/deploy.sh': 'set -e\nmkdir -p outputs\nansible-playbook -i localhost, play.yml\necho DEPLOYMENT_ID=vaulted-1\n',
      'vaulted/play.yml': playbook,
      'vaulted/vault.yml': 'vaulted: the-decrypted-secret\n',
      'legacy/instance.yaml': 'instances: []\n',
      'legacy/main.yaml':
        '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n    - copy: {content: "from main.yaml", dest: "{{ playbook_dir }}/outputs/legacy.txt"}\n',
      'legacy/outputs/.keep': '',
      // Seed 000's layout with instances: a deploy creates them on Vultr, then main.yaml runs against them.
      'seeded/instance.yaml': [
        'instances:',
        '  - {label: seeded-web, plan: vc2-1c-1gb, region: ams, os: "Ubuntu 22.04 LTS x64", tags: [seeded, web]}',
        '  - {label: seeded-db, plan: vc2-1c-2gb, region: fra, os_id: 2136, tags: [seeded]}',
        '',
      ].join('\n'),
      'seeded/main.yaml':
        '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n    - copy: {content: "{{ groups[\'all\'] | sort | join(\',\') }}", dest: "{{ playbook_dir }}/outputs/hosts.txt"}\n',
      // Written for the real backend's container: its paths, a sub-script, $0.
      'container/deploy.sh': [
        '#!/bin/bash',
        'set -e',
        'cd /services/container',
        'echo "here=$(pwd) self=$0 dir=$(dirname "$0")"',
        'echo "services=$SERVICES_DIR"',
        'bash /services/container/helper.sh',
        'ansible-playbook -i localhost, /services/container/play.yml --vault-password-file /tmp/.vault_pass.txt',
        'test -s ~/.vault_pass.txt && echo "home vault file readable"',
        'ls /init_playbook/ 2>/dev/null || echo "no /init_playbook here"',
        '',
      ].join('\n'),
      'container/helper.sh': 'echo "helper ran from $(basename "$(dirname "$0")")"\n',
      'container/play.yml': playbook,
      'container/vault.yml': 'vaulted: the-container-secret\n',
      'container/outputs/.keep': '',
      'broken/instance.yaml': 'instances:\n  - {label: no-plan, region: ams, os_id: 2136}\n',
      'broken/main.yaml': '- hosts: localhost\n  gather_facts: false\n  tasks: []\n',
    })
    // The service's vars are encrypted with the vault password, as in a CloudLab services repository.
    const passwordFile = join(services, 'password.txt')
    writeFileSync(passwordFile, vaultPassword)
    const encrypted = spawnSync(
      'ansible-vault',
      ['encrypt', '--vault-password-file', passwordFile, ...['vaulted', 'container'].map((name) => join(services, name, 'vault.yml'))],
      {
        encoding: 'utf8',
      },
    )
    if (encrypted.status !== 0) throw new Error(`ansible-vault: ${encrypted.stderr}`)
    rmSync(passwordFile)
    lab = await startCloudlab({ servicesDir: services, vault })
  })
  afterAll(() => lab?.close())

  it('fails to decrypt while no vault password is set', async () => {
    stored = undefined
    const job = await lab.finished((await lab.call('POST', '/api/services/vaulted/deploy')).body.job_id)
    expect(job.status).toBe('failed')
    expect(job.output.join('\n')).toMatch(/vault secrets? (was|were)? ?not found|no vault secrets/i)
    expect(existsSync(join(services, 'vaulted', 'outputs', 'result.txt'))).toBe(false)
  })

  it("runs deploy.sh's ansible-playbook on localhost with the vault password of setup", async () => {
    await vault.store(vaultPassword)
    const answer = await lab.call('POST', '/api/services/vaulted/deploy', { token: lab.tokens.deployer })
    const job = await lab.finished(answer.body.job_id, lab.tokens.deployer)
    expect(job.status).toBe('completed')
    expect(job.output[0]).toBe('--- Running deploy.sh for vaulted ---')
    expect(job.output).toContain('PLAY [localhost] ***************************************************************')
    expect(job.output.some((line: string) => line.includes('"msg": "vaulted value is the-decrypted-secret"'))).toBe(true)
    expect(job.output.some((line: string) => /^localhost\s+: ok=2\s+changed=1/.test(line))).toBe(true)
    expect(job.output.join('\n')).not.toContain(vaultPassword)
    expect(job.deployment_id).toBe('vaulted-1')
    expect(readFileSync(join(services, 'vaulted', 'outputs', 'result.txt'), 'utf8')).toBe('the-decrypted-secret')
  })

  it('deploys a seed-000 service by running its main.yaml through the ansible adapter', async () => {
    const job = await lab.finished((await lab.call('POST', '/api/services/legacy/deploy')).body.job_id)
    expect(job.status).toBe('completed')
    expect(job.output.slice(0, 3)).toEqual([
      '--- Starting instances for legacy ---',
      '[No instances declared in instance.yaml]',
      '--- Running main.yaml for legacy ---',
    ])
    expect(job.output[3]).toMatch(/^\$ ansible-playbook .*main\.yaml$/)
    expect(readFileSync(join(services, 'legacy', 'outputs', 'legacy.txt'), 'utf8')).toBe('from main.yaml')
  })

  it("deploys a seed-000 service by creating instance.yaml's instances on Vultr, caching them, then running main.yaml against them", async () => {
    const job = await lab.finished((await lab.call('POST', '/api/services/seeded/deploy')).body.job_id)
    expect(job.status).toBe('completed')
    expect(job.output[0]).toBe('--- Starting instances for seeded ---')
    expect(job.output).toContain('[2 instance(s) written to outputs/temp_inventory.yaml]')
    expect(job.output).toContain('[Inventory cached successfully]')
    expect(job.output.indexOf('--- Running main.yaml for seeded ---')).toBeGreaterThan(job.output.indexOf('[Inventory cached successfully]'))

    const created = [...lab.vultr.state.instances.values()].filter((instance) => instance.tags.includes('seeded'))
    expect(
      created.map(({ label, region, plan, os_id, tags }) => ({ label, region, plan, os_id, tags })).sort((a, b) => a.label.localeCompare(b.label)),
    ).toEqual([
      { label: 'seeded-db', region: 'fra', plan: 'vc2-1c-2gb', os_id: 2136, tags: ['seeded'] },
      { label: 'seeded-web', region: 'ams', plan: 'vc2-1c-1gb', os_id: 1743, tags: ['seeded', 'web'] },
    ])
    // The cached inventory shows them, and main.yaml ran against the hosts the deploy wrote.
    const hosts = (await lab.call('GET', '/api/instances')).body.instances.all.hosts
    expect(hosts['seeded-web']).toMatchObject({ vultr_label: 'seeded-web', vultr_region: 'ams', vultr_tags: ['seeded', 'web'] })
    expect(hosts['seeded-db']).toMatchObject({ vultr_plan: 'vc2-1c-2gb' })
    expect(readFileSync(join(services, 'seeded', 'outputs', 'hosts.txt'), 'utf8')).toBe('seeded-db,seeded-web')
    expect(readFileSync(join(services, 'seeded', 'outputs', 'temp_inventory.yaml'), 'utf8')).toContain(`ansible_host: ${created[0]!.main_ip}`)
    expect((await lab.call('GET', '/api/services/active-deployments')).body.deployments).toContainEqual({ name: 'seeded' })

    // A second deploy finds them running and creates none.
    const again = await lab.finished((await lab.call('POST', '/api/services/seeded/deploy')).body.job_id)
    expect(again.status).toBe('completed')
    expect(again.output).toContain('[Instance seeded-web already exists in ams]')
    expect([...lab.vultr.state.instances.values()].filter((instance) => instance.tags.includes('seeded'))).toHaveLength(2)
  })

  it('fails a seed-000 deploy whose instance.yaml is not valid, saying what is wrong, before anything runs', async () => {
    const job = await lab.finished((await lab.call('POST', '/api/services/broken/deploy')).body.job_id)
    expect(job.status).toBe('failed')
    expect(job.output).toContain('[ERROR: instance.yaml: instances.0.plan: Invalid input: expected string, received undefined]')
    expect(job.output.some((line: string) => line.startsWith('$ ansible-playbook'))).toBe(false)
  })

  it("runs a deploy.sh written for CloudLab's container: /services and /tmp/.vault_pass.txt mapped to this server's, nothing written to those paths", async () => {
    await vault.store(vaultPassword)
    const sharedVaultFile = '/tmp/.vault_pass.txt'
    const existedBefore = existsSync(sharedVaultFile)
    const job = await lab.finished((await lab.call('POST', '/api/services/container/deploy')).body.job_id)
    expect(job.status).toBe('completed')
    const dir = join(services, 'container')
    expect(job.output.slice(0, 3)).toEqual([
      '--- Running deploy.sh for container ---',
      "[Warning: deploy.sh uses /init_playbook, which exists only in CloudLab Manager's container]",
      `[Container paths mapped: /tmp/.vault_pass.txt -> the job's own vault password file; /services -> ${services}]`,
    ])
    expect(job.output).toContain(`here=${dir} self=${dir}/deploy.sh dir=${dir}`)
    expect(job.output).toContain(`services=${services}`)
    expect(job.output).toContain('helper ran from container')
    expect(job.output.some((line: string) => line.includes('"msg": "vaulted value is the-container-secret"'))).toBe(true)
    expect(job.output).toContain('home vault file readable')
    expect(job.output).toContain('no /init_playbook here')
    expect(job.output.join('\n')).not.toContain(vaultPassword)
    expect(readFileSync(join(dir, 'outputs', 'result.txt'), 'utf8')).toBe('the-container-secret')
    // The password never went to the fixed shared path the container uses.
    if (!existedBefore) expect(existsSync(sharedVaultFile)).toBe(false)
  })
})
