import type { HostRecap } from './recap'

export type AnsibleErrorCode =
  | 'host_failed'
  | 'unreachable'
  | 'parse_error'
  | 'bad_options'
  | 'interrupted'
  | 'error'
  | 'unexpected'
  | 'not_installed'

/** Why an ansible job failed; `code` lands in the job record's `error.code`. */
export class AnsibleError extends Error {
  code: AnsibleErrorCode
  exitCode?: number
  /** What the run produced before failing: the per-host recap, when there was one. The engine keeps it as the job's `error.details`. */
  details?: unknown
  constructor(message: string, options: { code: AnsibleErrorCode; exitCode?: number; result?: unknown; cause?: unknown }) {
    super(`[provisio] [ansible] ${message}`, { cause: options.cause })
    this.name = this.constructor.name
    this.code = options.code
    this.exitCode = options.exitCode
    this.details = options.result
  }
}

function hostsWhere(hosts: Record<string, HostRecap>, field: 'failed' | 'unreachable'): string[] {
  return Object.entries(hosts)
    .filter(([, recap]) => recap[field] > 0)
    .map(([host]) => host)
}

/** Maps ansible-playbook's documented exit codes to an error a person can act on. */
export function errorForExitCode(
  exitCode: number,
  details: { hosts: Record<string, HostRecap>; lastError?: string; result?: unknown },
): AnsibleError {
  const { hosts, lastError, result } = details
  const reason = lastError ? `: ${lastError}` : ''
  const failed = hostsWhere(hosts, 'failed')
  const unreachable = hostsWhere(hosts, 'unreachable')
  switch (exitCode) {
    case 2:
      return new AnsibleError(
        `playbook failed on ${failed.length ? `host${failed.length > 1 ? 's' : ''} ${failed.join(', ')}` : 'some hosts'}` +
          (unreachable.length ? `; unreachable: ${unreachable.join(', ')}` : ''),
        { code: 'host_failed', exitCode, result },
      )
    case 3:
    case 4:
      return unreachable.length
        ? new AnsibleError(`unreachable host${unreachable.length > 1 ? 's' : ''}: ${unreachable.join(', ')}`, { code: 'unreachable', exitCode, result })
        : new AnsibleError(`the playbook or inventory could not be parsed (exit ${exitCode})${reason}`, { code: 'parse_error', exitCode, result })
    case 5:
      return new AnsibleError(`bad command line options (exit 5)${reason}`, { code: 'bad_options', exitCode, result })
    case 99:
    case 130:
    case 137:
    case 143:
      return new AnsibleError(`interrupted (exit ${exitCode})`, { code: 'interrupted', exitCode, result })
    case 250:
      return new AnsibleError(`unexpected error in ansible-playbook (exit 250)${reason}`, { code: 'unexpected', exitCode, result })
    default:
      return new AnsibleError(`ansible-playbook failed with exit code ${exitCode}${reason}`, { code: 'error', exitCode, result })
  }
}
