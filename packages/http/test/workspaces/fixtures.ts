import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach } from 'vitest'

const made: string[] = []

afterEach(async () => {
  while (made.length) await rm(made.pop()!, { recursive: true, force: true })
})

/** A temporary directory removed after the test. */
export async function tempRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'provisio-ws-test-'))
  made.push(dir)
  return dir
}

/** Writes files (path relative to `dir` -> content), creating their folders. */
export async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), content)
  }
}

/** A playbook that writes `<marker_dir>/<taskserv>-<host>.txt` on each host (run with ansible_connection=local). */
export const markerPlaybook = `- hosts: all
  gather_facts: false
  tasks:
    - name: Write a marker
      ansible.builtin.copy:
        dest: "{{ marker_dir }}/{{ taskserv }}-{{ inventory_hostname }}.txt"
        content: "{{ taskserv }} on {{ inventory_hostname }} ({{ ansible_host }}) of {{ infra }}\\n"
`

/** Removes what `markerPlaybook` wrote. */
export const unmarkPlaybook = `- hosts: all
  gather_facts: false
  tasks:
    - name: Remove the marker
      ansible.builtin.file:
        path: "{{ marker_dir }}/{{ taskserv }}-{{ inventory_hostname }}.txt"
        state: absent
`
