import type { CloudlabContext, CloudlabPart } from '../context'

/** First run, auth, invites, password reset, users, roles, permissions and the audit log. */
export function accountsPart(_context: CloudlabContext): CloudlabPart {
  return { routes: [] }
}
