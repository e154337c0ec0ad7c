import { prefixStorage, type Storage } from 'unstorage'
import { ValidationError } from '../errors'
import type { ActionDefinition, Provider } from './types'

export interface RegisteredProvider {
  name: string
  provider: Provider<any>
  /** The provider's configuration after its schema applied defaults. */
  config: unknown
  /** `providers:<name>:` of the engine's storage. */
  storage: Storage
}

/** Validates a provider's configuration and gives it its scoped storage. */
export function registerProvider(provider: Provider<any>, storage: Storage): RegisteredProvider {
  if (!provider?.name || typeof provider.actions !== 'object') {
    throw new TypeError('[provisio] [engine] a provider needs a `name` and `actions`: build it with defineProvider()')
  }
  let config: unknown = provider.options ?? {}
  if (provider.config) {
    const parsed = provider.config.safeParse(provider.options ?? {})
    if (!parsed.success) throw ValidationError.fromZod(`[provisio] [${provider.name}] invalid configuration`, parsed.error, 'config')
    config = parsed.data
  }
  return { name: provider.name, provider, config, storage: prefixStorage(storage, `providers:${provider.name}`) }
}

export function findAction(
  providers: ReadonlyMap<string, RegisteredProvider>,
  providerName: string,
  actionName: string,
  unavailable: Readonly<Record<string, string>> = {},
): { registered: RegisteredProvider; action: ActionDefinition } {
  const registered = providers.get(providerName)
  if (!registered && Object.hasOwn(unavailable, providerName)) {
    throw new ValidationError(`provider "${providerName}" is not configured`, [{ path: 'provider', message: unavailable[providerName] }])
  }
  if (!registered) {
    throw new ValidationError(`unknown provider "${providerName}"`, [
      { path: 'provider', message: `no provider "${providerName}" is registered (registered: ${[...providers.keys()].join(', ') || 'none'})` },
    ])
  }
  const action = registered.provider.actions[actionName]
  if (!action) {
    throw new ValidationError(`unknown action "${actionName}" of provider "${providerName}"`, [
      { path: 'action', message: `provider "${providerName}" has no action "${actionName}" (actions: ${Object.keys(registered.provider.actions).join(', ')})` },
    ])
  }
  return { registered, action }
}
