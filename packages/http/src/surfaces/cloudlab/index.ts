import { join } from 'node:path'
import { fastapiStyle } from '../../platform/error-styles'
import type { SurfaceDeps } from '../../platform/surface-deps'
import type { SurfaceDefinition, SurfaceMessages, SurfaceModule } from '../../platform/types'
import { version } from '../../version'
import { accountsPart } from './accounts'
import { mergePermissions } from './accounts/catalog'
import { createVault } from './accounts/vault'
import type { CloudlabContext, CloudlabOptions, CloudlabPart } from './context'
import { inventoryPart } from './inventory'
import { operationsPart } from './operations'
import { uiFallback } from './ui'
import { createRoleIds } from './role-ids'

export type { CloudlabOptions } from './context'
export type { CloudlabMailOptions } from './accounts'

/** FastAPI's texts (reference §1): the UI shows `detail` as it is, and clients match on it. */
const messages: SurfaceMessages = {
  notAuthenticated: 'Not authenticated',
  notAuthenticatedHeaders: { 'WWW-Authenticate': 'Bearer' },
  permissionDenied: (permission) => `Permission denied: ${permission}`,
  notFound: 'Not Found',
  methodNotAllowed: 'Method Not Allowed',
  // slowapi's handler, which the real backend keeps: `error`, not `detail`.
  rateLimited: (message) => ({ error: message }),
}

/** 000 and 001's CloudLab Manager API, with the real backend's forms beside the documented ones. */
export function cloudlabSurface(deps: SurfaceDeps, options: CloudlabOptions = {}): SurfaceDefinition {
  const dataDir = deps.dataDir ?? join('.provisio')
  const fallback = options.ui ? uiFallback(options.ui) : undefined
  let parts: CloudlabPart[] = []
  const context: CloudlabContext = {
    deps,
    servicesDir: options.servicesDir ?? join(dataDir, 'cloudlab', 'services'),
    inventoryTypesDir: options.inventoryTypesDir ?? join(dataDir, 'cloudlab', 'inventory_types'),
    ui: options.ui,
    vault: createVault(deps),
    mail: options.mail,
    publicUrl: options.publicUrl,
    permissions: async () => mergePermissions((await Promise.all(parts.map((part) => part.permissions?.() ?? []))).flat()),
    users: () => accounts.users(),
    roleIds: createRoleIds(deps.engine.storage),
  }
  const accounts = accountsPart(context)
  parts = [accounts, operationsPart(context), inventoryPart(context)]
  return {
    name: 'cloudlab',
    title: 'CloudLab Manager API',
    version,
    description: 'CloudLab Manager (seeds 000 and 001): services, jobs, instances, users, roles, audit and inventory. Errors are `{"detail": ...}`.',
    style: fastapiStyle,
    auth: true,
    policies: false,
    messages,
    fallback,
    routes: parts.flatMap((part) => part.routes),
    websockets: parts.flatMap((part) => part.websockets ?? []),
    dispose: async () => {
      for (const part of parts) await part.dispose?.()
    },
  }
}

/** The cloudlab surface with its options (directories, web UI, mail): pass it in `createServer({ surfaces })`. */
export function cloudlabModule(options: CloudlabOptions = {}): SurfaceModule<SurfaceDeps> {
  return { name: 'cloudlab', defaultPort: 8000, create: (deps) => cloudlabSurface(deps, options) }
}
