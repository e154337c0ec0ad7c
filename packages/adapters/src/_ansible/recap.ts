/** One host's line of the `PLAY RECAP`. */
export interface HostRecap {
  ok: number
  changed: number
  unreachable: number
  failed: number
  skipped: number
  rescued: number
  ignored: number
}

const recapLine = /^(.+?)\s+:\s+((?:[a-z]+=\d+\s*)+)$/

/**
 * Reads the `PLAY RECAP` block of the default callback's output, line by line.
 * A play with several `PLAY RECAP` blocks (imports) adds up per host.
 */
export function createRecapParser() {
  const hosts: Record<string, HostRecap> = {}
  let inRecap = false
  return {
    hosts,
    push(line: string) {
      if (line.startsWith('PLAY RECAP')) {
        inRecap = true
        return
      }
      if (!inRecap) return
      const match = recapLine.exec(line.trim())
      if (!match) {
        if (line.trim() !== '') inRecap = false
        return
      }
      const host = (hosts[match[1]] ??= { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 })
      for (const pair of match[2].trim().split(/\s+/)) {
        const [key, value] = pair.split('=')
        if (key in host) host[key as keyof HostRecap] += Number(value)
      }
    },
  }
}

/**
 * Estimates how many `TASK [...]` lines a playbook prints, from its text: the
 * items of every `tasks`, `pre_tasks` and `post_tasks` list. Roles and imports
 * count as one, so progress is an estimate and never claims 100 before the end.
 */
export function countPlaybookTasks(playbook: string): number {
  let count = 0
  let block: { keyIndent: number; itemIndent?: number } | undefined
  for (const line of playbook.split(/\r?\n/)) {
    if (/^\s*(#|$)/.test(line)) continue
    const indent = line.length - line.trimStart().length
    const key = /^(\s*)(?:-\s+)?(pre_tasks|tasks|post_tasks|handlers):\s*$/.exec(line)
    if (key) {
      block = key[2] === 'handlers' ? undefined : { keyIndent: line.indexOf(key[2]) }
      continue
    }
    if (!block) continue
    if (indent <= block.keyIndent && !line.trimStart().startsWith('- ')) {
      block = undefined
      continue
    }
    if (indent < block.keyIndent) {
      block = undefined
      continue
    }
    if (line.trimStart().startsWith('- ')) {
      block.itemIndent ??= indent
      if (indent === block.itemIndent) count++
    }
  }
  return count
}
