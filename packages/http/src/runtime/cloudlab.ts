import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ServeConfig } from '../config/schema'
import type { SurfaceDeps } from '../platform/surface-deps'
import type { SurfaceModule } from '../platform/types'
import { cloudlabModule } from '../surfaces/cloudlab'

/**
 * The cloudlab surface of a configuration: an existing CloudLab Manager's folders where the
 * operator keeps them (else fresh ones under the data dir), its built UI, and the SMTP server.
 */
export function configuredCloudlab(config: ServeConfig): SurfaceModule<SurfaceDeps> {
  const { cloudlab } = config
  const servicesDir = resolve(cloudlab.servicesDir ?? join(config.dataDir, 'cloudlab', 'services'))
  const inventoryTypesDir = resolve(cloudlab.inventoryTypesDir ?? join(config.dataDir, 'cloudlab', 'inventory_types'))
  // Only the defaults are created: a configured folder that is missing is the operator's mistake to see.
  if (!cloudlab.servicesDir) mkdirSync(servicesDir, { recursive: true })
  if (!cloudlab.inventoryTypesDir) mkdirSync(inventoryTypesDir, { recursive: true })
  const smtp = cloudlab.smtp
  return cloudlabModule({
    servicesDir,
    inventoryTypesDir,
    ui: cloudlab.ui && resolve(cloudlab.ui),
    publicUrl: cloudlab.publicUrl,
    mail: smtp && {
      from: smtp.from,
      transport: { host: smtp.host, port: smtp.port, secure: smtp.secure, auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined },
    },
  })
}
