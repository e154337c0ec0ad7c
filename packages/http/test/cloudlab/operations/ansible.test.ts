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
    })
    // The service's vars are encrypted with the vault password, as in a CloudLab services repository.
    const passwordFile = join(services, 'password.txt')
    writeFileSync(passwordFile, vaultPassword)
    const encrypted = spawnSync('ansible-vault', ['encrypt', '--vault-password-file', passwordFile, join(services, 'vaulted', 'vault.yml')], {
      encoding: 'utf8',
    })
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
    expect(job.output[0]).toBe('--- Running main.yaml for legacy ---')
    expect(job.output[1]).toMatch(/^\$ ansible-playbook .*main\.yaml$/)
    expect(readFileSync(join(services, 'legacy', 'outputs', 'legacy.txt'), 'utf8')).toBe('from main.yaml')
  })
})
