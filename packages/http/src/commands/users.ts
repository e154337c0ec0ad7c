import { randomBytes } from 'node:crypto'
import { text } from 'node:stream/consumers'
import { defineCommand } from 'citty'
import { consola } from 'consola'
import { DataDirectoryLockedError } from '@provisio/engine'
import { loadServeConfigOrExit } from '../config/load'
import { dataArgs, dataFlags } from './shared-args'
import { storageDamageMessage } from './storage'

const addCommand = defineCommand({
  meta: { name: 'add', description: 'Create a user in the data dir (while the server is stopped; a running server takes POST /users)' },
  args: {
    name: { type: 'positional', description: 'User name', required: true },
    role: { type: 'string', description: 'Role to give; repeat or comma-separate for several (default viewer)', valueHint: 'admin|operator|developer|viewer' },
    email: { type: 'string', description: 'E-mail address' },
    'password-stdin': { type: 'boolean', description: 'Read the password from standard input; otherwise one is generated and printed once' },
    ...dataArgs,
  },
  async run({ args }) {
    const { config } = loadServeConfigOrExit({ configPath: args.config as string | undefined, flags: dataFlags(args) }, (message) => consola.error(message))
    const [{ openIdentity }, { createConfiguredStorage }] = await Promise.all([import('../runtime/identity'), import('../runtime/storage')])
    const storage = await createConfiguredStorage(config).catch((error: unknown) => {
      const damaged = storageDamageMessage(error, config.dataDir)
      if (damaged) {
        consola.error(damaged)
        process.exit(1)
      }
      if (!(error instanceof DataDirectoryLockedError)) throw error
      consola.error(
        `The data directory ${error.directory} is open in a running server (process ${error.holderPid}). ` +
          'Stop it and run this again, or create the user through its API (POST /users on the control-center, as an admin).',
      )
      process.exit(1)
    })
    try {
      const { identity } = openIdentity(storage, config)
      const roles = [args.role ?? 'viewer']
        .flat()
        .flatMap((role) => String(role).split(','))
        .map((role) => role.trim())
        .filter(Boolean)
      const generated = !args['password-stdin']
      const password = generated ? randomBytes(18).toString('base64url') : (await text(process.stdin)).replace(/\r?\n$/, '')
      const user = await identity.users.create({ username: args.name, password, email: args.email ?? null, roles })
      consola.success(`Created user "${user.username}" (${user.id}) with roles ${user.roles.join(', ')}`)
      if (generated) console.log(`Password: ${password}`)
    } finally {
      await storage.dispose()
    }
  },
})

export const usersCommand = defineCommand({
  meta: { name: 'users', description: 'Manage users from the shell' },
  subCommands: { add: addCommand, 'reset-password': () => import('./users-reset-password').then((module) => module.resetPasswordCommand) },
})
