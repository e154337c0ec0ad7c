import { consola } from 'consola'
import type { Storage } from 'unstorage'
import { DataDirectoryLockedError } from '@provisio/engine'
import type { ServeConfig } from '../config/schema'
import { loadServeConfigOrExit } from '../config/load'
import { dataFlags } from './shared-args'

/**
 * Opens the configured data directory for a break-glass command, which works on the stored data
 * directly and so needs the server stopped: with fs storage the directory is locked by a running
 * server, and the error says so instead of showing a stack trace.
 */
export async function openDataDir(args: Record<string, unknown>): Promise<{ config: ServeConfig; storage: Storage }> {
  const { config } = loadServeConfigOrExit({ configPath: args.config as string | undefined, flags: dataFlags(args) }, (message) => consola.error(message))
  const { createConfiguredStorage } = await import('../runtime/storage')
  const storage = await createConfiguredStorage(config).catch((error: unknown) => {
    if (!(error instanceof DataDirectoryLockedError)) throw error
    consola.error(
      `The data directory ${error.directory} is locked by a running server (process ${error.holderPid}). ` +
        'This command changes the stored data directly: stop the server, run it again, then start the server.',
    )
    process.exit(1)
  })
  return { config, storage }
}
