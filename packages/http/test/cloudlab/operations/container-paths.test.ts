import { describe, expect, it } from 'vitest'
import { keepingScriptName, mapContainerPaths } from '../../../src/surfaces/cloudlab/operations/container-paths'

const places = { servicesDir: '/srv/lab/services', vaultFile: '/tmp/provisio-cloudlab-x/.vault_pass.txt' }

describe("cloudlab: the real backend's container paths in a script", () => {
  it('maps /services, /app/cloudlab/services and every vault file spelling, wherever a path starts', () => {
    const script = [
      'cd /services/web && ls "/services/web/outputs"',
      'SRC=/app/cloudlab/services/web',
      'ansible-playbook x.yml --vault-password-file=/tmp/.vault_pass.txt',
      `cat ~/.vault_pass.txt $HOME/.vault_pass.txt '\${HOME}/.vault_pass.txt' /root/.vault_pass.txt`,
      'echo $(ls /services)',
    ].join('\n')
    const mapped = mapContainerPaths(script, places)
    expect(mapped.text.split('\n')).toEqual([
      'cd /srv/lab/services/web && ls "/srv/lab/services/web/outputs"',
      'SRC=/srv/lab/services/web',
      `ansible-playbook x.yml --vault-password-file=${places.vaultFile}`,
      `cat ${places.vaultFile} ${places.vaultFile} '${places.vaultFile}' ${places.vaultFile}`,
      'echo $(ls /srv/lab/services)',
    ])
    expect(mapped.mapped).toEqual(["/tmp/.vault_pass.txt -> the job's own vault password file", '/services -> /srv/lab/services'])
    expect(mapped.missing).toEqual([])
  })

  it('leaves paths that only look alike, and the vault paths when there is no vault password', () => {
    const script = 'curl https://example.com/services/x\nls ./services /data/services/x /servicesx\ncat /tmp/.vault_pass.txt\n'
    const mapped = mapContainerPaths(script, { servicesDir: places.servicesDir })
    expect(mapped).toEqual({ text: script, mapped: [], missing: [] })
  })

  it('names the container-only paths it cannot map', () => {
    const mapped = mapContainerPaths('ansible-playbook /init_playbook/stop.yaml -i /inventory/vultr.yml\ncat /outputs/cost_report.json\n', places)
    expect(mapped.missing).toEqual(['/init_playbook', '/inventory', '/outputs'])
  })

  it('keeps $0 the original script and its line numbers', () => {
    expect(keepingScriptName('#!/bin/bash\necho hi\n', "/srv/it's/deploy.sh")).toBe("BASH_ARGV0='/srv/it'\\''s/deploy.sh'\necho hi\n")
    expect(keepingScriptName('echo hi\n', '/srv/deploy.sh')).toBe("BASH_ARGV0='/srv/deploy.sh'\necho hi\n")
  })
})
