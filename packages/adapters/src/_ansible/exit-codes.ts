import { createError, type ProviderError } from '../utils/error'
import type { HostRecap } from './recap'

/** The `code` of a failed ansible job's error. */
export type AnsibleErrorCode = 'host_failed' | 'unreachable' | 'parse_error' | 'bad_options' | 'interrupted' | 'error' | 'unexpected' | 'not_installed'

function hostsWhere(hosts: Record<string, HostRecap>, field: 'failed' | 'unreachable'): string[] {
  return Object.entries(hosts)
    .filter(([, recap]) => recap[field] > 0)
    .map(([host]) => host)
}

/** Maps ansible-playbook's documented exit codes to an error a person can act on. */
export function errorForExitCode(exitCode: number, details: { hosts: Record<string, HostRecap>; lastError?: string; result?: unknown }): ProviderError {
  const { hosts, lastError, result } = details
  const reason = lastError ? `: ${lastError}` : ''
  const failed = hostsWhere(hosts, 'failed')
  const unreachable = hostsWhere(hosts, 'unreachable')
  switch (exitCode) {
    case 2:
      return ansibleError(
        `playbook failed on ${failed.length ? `host${failed.length > 1 ? 's' : ''} ${failed.join(', ')}` : 'some hosts'}` +
          (unreachable.length ? `; unreachable: ${unreachable.join(', ')}` : ''),
        { code: 'host_failed', exitCode, details: result },
      )
    case 3:
    case 4:
      return unreachable.length
        ? ansibleError(`unreachable host${unreachable.length > 1 ? 's' : ''}: ${unreachable.join(', ')}`, { code: 'unreachable', exitCode, details: result })
        : ansibleError(`the playbook or inventory could not be parsed (exit ${exitCode})${reason}`, { code: 'parse_error', exitCode, details: result })
    case 5:
      return ansibleError(`bad command line options (exit 5)${reason}`, { code: 'bad_options', exitCode, details: result })
    case 99:
    case 130:
    case 137:
    case 143:
      return ansibleError(`interrupted (exit ${exitCode})`, { code: 'interrupted', exitCode, details: result })
    case 250:
      return ansibleError(`unexpected error in ansible-playbook (exit 250)${reason}`, { code: 'unexpected', exitCode, details: result })
    default:
      return ansibleError(`ansible-playbook failed with exit code ${exitCode}${reason}`, { code: 'error', exitCode, details: result })
  }
}

function ansibleError(message: string, options: { code: AnsibleErrorCode; exitCode: number; details?: unknown }): ProviderError {
  return createError('ansible', message, options)
}
