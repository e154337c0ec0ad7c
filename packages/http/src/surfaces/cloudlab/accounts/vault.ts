import type { SurfaceDeps } from '../../../platform/surface-deps'
import type { CloudlabVault } from '../context'

/** The vault password of first-run setup. The accounts part seals it at rest. */
export function createVault(_deps: SurfaceDeps): CloudlabVault {
  let password: string | undefined
  return {
    password: async () => password,
    store: async (value) => {
      password = value
    },
  }
}
