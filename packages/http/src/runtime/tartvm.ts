import { join } from 'node:path'
import type { ServeConfig } from '../config/schema'
import type { ProviderStatus, SurfaceDeps } from '../platform/surface-deps'
import type { SurfaceModule } from '../platform/types'
import { surfaceNames } from '../surfaces'
import { openLocalToken, tartvmModule, type LocalToken } from '../surfaces/tartvm'
import { configuredCloudlab } from './cloudlab'

export interface ServeSurfaces {
  /** What `createServer({ surfaces })` gets: names, and the tartvm module built from the configuration. */
  surfaces: (string | SurfaceModule<SurfaceDeps>)[]
  /** Set when tartvm is served. */
  tartvm?: LocalToken & { ui?: string }
}

/**
 * The configured surfaces; tartvm's token lives under the data dir unless `tartvm.tokenFile` says
 * otherwise, cloudlab's folders too unless `cloudlab.*Dir` say otherwise.
 */
export function serveSurfaces(config: ServeConfig): ServeSurfaces {
  const selected = (config.surfaces ?? [...surfaceNames]).map((name) => (name === 'cloudlab' ? configuredCloudlab(config) : name))
  if (!selected.includes('tartvm')) return { surfaces: selected }
  const tokenFile = config.tartvm.tokenFile ?? join(config.dataDir, 'tartvm', 'token')
  const token = openLocalToken(tokenFile)
  const module = tartvmModule({ tokenFile, ui: config.tartvm.ui })
  return { surfaces: selected.map((name) => (name === 'tartvm' ? module : name)), tartvm: { ...token, ui: config.tartvm.ui } }
}

/** What `serve` prints once at start: where the page is, its token, and whether tart is the stand-in. */
export function tartvmBanner(url: string, tartvm: NonNullable<ServeSurfaces['tartvm']>, providers: ProviderStatus[]): string[] {
  const tart = providers.find((provider) => provider.name === 'tart')
  return [
    `tartvm: ${tartvm.ui ? `de taartenfabriek page at ${url}/` : `API at ${url}/api (no page: --tartvm-ui <checkout of de taartenfabriek> serves it)`}`,
    `tartvm: X-Local-Token ${tartvm.token} (${tartvm.created ? 'created in' : 'read from'} ${tartvm.file}; delete the file and restart to rotate it)`,
    ...(tart?.mode === 'sandbox' ? [`tartvm: tart is not installed here: VMs are those of the fake tart CLI (${tart.endpoint})`] : []),
  ]
}
