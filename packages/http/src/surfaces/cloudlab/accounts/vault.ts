import type { SurfaceDeps } from '../../../platform/surface-deps'
import type { CloudlabVault } from '../context'

const vaultKey = 'cloudlab:vault'

/**
 * The vault password of first-run setup, sealed at rest with a key derived from the identity's
 * signing key (`identity.secretBox`): the storage alone does not reveal it.
 */
export function createVault(deps: Pick<SurfaceDeps, 'engine' | 'identity'>): CloudlabVault {
  const storage = deps.engine.storage
  const box = () => deps.identity.secretBox('cloudlab-vault')
  return {
    async password() {
      const sealed = await storage.getItem<string>(vaultKey)
      return typeof sealed === 'string' ? (await box()).open(sealed) : undefined
    },
    async store(password) {
      await storage.setItem(vaultKey, (await box()).seal(password))
    },
  }
}
