import { randomBytes } from 'node:crypto'
import { text } from 'node:stream/consumers'
import { defineCommand } from 'citty'
import { consola } from 'consola'
import { IdentityError } from '../identity/errors'
import { openDataDir } from './open-data-dir'
import { dataArgs } from './shared-args'

export const resetPasswordCommand = defineCommand({
  meta: {
    name: 'reset-password',
    description: "Set a user's password in the data dir, ending their sessions and lifting a login lockout (break-glass; with the server stopped)",
  },
  args: {
    name: { type: 'positional', description: 'User name', required: true },
    'password-stdin': { type: 'boolean', description: 'Read the password from standard input; otherwise one is generated and printed once' },
    'reset-mfa': { type: 'boolean', description: 'Also turn off MFA (a lost authenticator)' },
    ...dataArgs,
  },
  async run({ args }) {
    const { config, storage } = await openDataDir(args)
    try {
      const [{ openIdentity }, { createAuditLog }] = await Promise.all([import('../runtime/identity'), import('../audit')])
      const { identity } = openIdentity(storage, config)
      const user = await identity.users.getByUsername(args.name)
      if (!user) {
        consola.error(`No user "${args.name}"`)
        process.exitCode = 1
        return
      }
      const generated = !args['password-stdin']
      const password = generated ? randomBytes(18).toString('base64url') : (await text(process.stdin)).replace(/\r?\n$/, '')
      try {
        await identity.users.update(user.id, { password })
      } catch (error) {
        if (!(error instanceof IdentityError)) throw error
        consola.error(error.message)
        process.exitCode = 1
        return
      }
      if (args['reset-mfa']) await identity.mfa.reset(user.id)
      // Someone locked out by guessing must be able to use the new password at once.
      await identity.unlock(user.username)
      await createAuditLog({ storage }).record({
        user_id: null,
        username: null,
        action: 'user.update',
        resource: `users/${user.id}`,
        result: 'success',
        details: { fields: args['reset-mfa'] ? ['password', 'mfa'] : ['password'], via: 'provisio users reset-password' },
        ip: null,
      })
      consola.success(
        `Set a new password for "${user.username}"${args['reset-mfa'] ? ' and turned MFA off' : ''}; their sessions have ended and any lockout is lifted`,
      )
      if (generated) console.log(`Password: ${password}`)
    } finally {
      await storage.dispose()
    }
  },
})
