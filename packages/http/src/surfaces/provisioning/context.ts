import { ApiError } from '../../platform/errors'
import type { SurfaceDeps } from '../../platform/surface-deps'
import { createCancellation, type Cancellation } from './cancellation'
import { operationSource, type OperationSource } from './operation-source'

/** What the provisioning routes share: the platform's deps, the operations and their cancellation. */
export interface ProvisioningContext extends SurfaceDeps {
  operations: OperationSource
  cancellation: Cancellation
  /** The workspace a request names, else the caller's active one; 404 when it does not exist. */
  workspaceOf: (requested: string | undefined, userId: string) => Promise<string>
}

export function provisioningContext(deps: SurfaceDeps): ProvisioningContext {
  return {
    ...deps,
    operations: operationSource(deps.engine, deps.workspaces),
    cancellation: createCancellation(deps.engine),
    async workspaceOf(requested, userId) {
      const name = requested ?? (await deps.workspaces.active(userId))
      if (!(await deps.workspaces.find(name))) throw new ApiError(404, `No workspace "${name}"`)
      return name
    },
  }
}
