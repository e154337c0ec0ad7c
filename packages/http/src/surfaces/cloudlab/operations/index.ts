import type { CloudlabContext, CloudlabPart } from '../context'

/** Services (deploy, stop, scripts, configs, files), instances, costs and jobs with live output. */
export function operationsPart(_context: CloudlabContext): CloudlabPart {
  return { routes: [] }
}
