/**
 * Scripts written for the real backend run inside its container and name that container's paths:
 * `/services/<name>` for the services folder, `/tmp/.vault_pass.txt` (or `~/.vault_pass.txt`) for
 * the vault password file. Creating those paths here would need root and would put the password
 * at a fixed shared place, so a script's own text is mapped instead: the paths become this
 * server's services folder and the job's private vault file. What is only in the container
 * (CloudLab's `/init_playbook`, `/inventory/vultr.yml`, `/outputs/`) has no counterpart here.
 */

/** Where a path may start in a shell line: the line's start, after a blank, a quote, `=`, `:` or `(`. */
const before = String.raw`(^|[\s"'=:(\x60])`
/** Where it ends: a `/`, or the end of the word. */
const after = String.raw`(?=/|$|[\s"';:)\x60])`

const vaultFiles = [/\/tmp\/\.vault_pass\.txt/, /~\/\.vault_pass\.txt/, /\$\{?HOME\}?\/\.vault_pass\.txt/, /\/root\/\.vault_pass\.txt/]
const servicesPaths = [/\/app\/cloudlab\/services/, /\/services/]
const containerOnly = new Map([
  ['/init_playbook', /\/init_playbook/],
  ['/inventory', /\/inventory/],
  ['/outputs', /\/outputs/],
])

const pathPattern = (path: RegExp) => new RegExp(`${before}(?:${path.source})${after}`, 'gm')

export interface MappedScript {
  text: string
  /** `container path -> this server's`, one per kind of path replaced. */
  mapped: string[]
  /** Container-only paths the script names, which it will not find here. */
  missing: string[]
}

/** The script with the container's paths replaced by this server's; `vaultFile` undefined leaves the vault paths as they are. */
export function mapContainerPaths(text: string, places: { servicesDir: string; vaultFile?: string }): MappedScript {
  const mapped: string[] = []
  let result = text
  const replace = (paths: RegExp[], target: string, label: string) => {
    let changed = false
    for (const path of paths) {
      result = result.replace(pathPattern(path), (_match, lead: string) => {
        changed = true
        return lead + target
      })
    }
    if (changed) mapped.push(label)
  }
  if (places.vaultFile) replace(vaultFiles, places.vaultFile, "/tmp/.vault_pass.txt -> the job's own vault password file")
  replace(servicesPaths, places.servicesDir, `/services -> ${places.servicesDir}`)
  const missing = [...containerOnly].filter(([, path]) => pathPattern(path).test(text)).map(([name]) => name)
  return { text: result, mapped, missing }
}

/**
 * The mapped script, run from a file of its own, keeping `$0` the original script's path (bash 5's
 * `BASH_ARGV0`), so `$(dirname "$0")` still finds the service folder; the shebang line gives its
 * place, so line numbers in errors stay the script's.
 */
export function keepingScriptName(text: string, scriptPath: string): string {
  const assignment = `BASH_ARGV0='${scriptPath.replaceAll("'", "'\\''")}'`
  return text.startsWith('#!') ? text.replace(/^#![^\n]*/, assignment) : `${assignment}\n${text}`
}
