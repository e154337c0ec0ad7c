import { randomUUID } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ProviderStandIn } from '@provisio/engine/testing'
import type { AnsibleOptions } from '../ansible'

/** Playbooks the stand-in writes; every play runs on the local machine. */
const playbooks = {
  'greet.yml': `- hosts: all
  connection: local
  gather_facts: false
  tasks:
    - name: Greet
      ansible.builtin.debug:
        msg: "connecting with {{ db_password }}"
`,
  'fail.yml': `- hosts: all
  connection: local
  gather_facts: false
  tasks:
    - name: Break
      ansible.builtin.fail:
        msg: "broken on purpose with {{ db_password }}"
`,
  'slow.yml': `- hosts: all
  connection: local
  gather_facts: false
  tasks:
    - name: Sleep
      ansible.builtin.command: sleep 60
`,
}

/**
 * The ansible provider's stand-in for the provider conformance suite: the real
 * `ansible-playbook` on playbooks written to a temporary directory, run against the
 * local machine, with a secret extra var the output must never show.
 *
 * ```ts
 * describeWithTool('ansible-playbook')('providers: ansible', () => testProvider(ansibleProvider, ansibleStandIn()))
 * ```
 */
export function ansibleStandIn(): ProviderStandIn<AnsibleOptions> {
  const dir = join(tmpdir(), `provisio-ansible-standin-${randomUUID()}`)
  const secret = `ans-${randomUUID()}`
  const call = (playbook: keyof typeof playbooks) => ({ playbook: join(dir, playbook), extraVars: { db_password: secret } })
  return {
    async start() {
      await mkdir(dir, { recursive: true })
      for (const [name, text] of Object.entries(playbooks)) await writeFile(join(dir, name), text)
      return {
        options: { inventory: ['localhost ansible_connection=local'] },
        stop: () => rm(dir, { recursive: true, force: true }),
      }
    },
    succeeds: { action: 'playbook.run', input: call('greet.yml') },
    fails: { action: 'playbook.run', input: call('fail.yml'), code: 'host_failed' },
    cancellable: { action: 'playbook.run', input: call('slow.yml') },
    secrets: [secret],
  }
}
