import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCloudlab, type CloudlabServer } from './helpers'
import { startSmtp, type SmtpCapture } from './smtp'

/** The token of the first `<base>/<route>/<token>` link in a mail. */
function linkToken(text: string, base: string, route: string): string {
  const match = new RegExp(`${base.replaceAll('.', '\\.')}/${route}/([\\w-]{64})(?![\\w-])`).exec(text)
  if (!match) throw new Error(`no ${route} link in: ${text}`)
  return match[1]
}

describe('cloudlab invite and password-reset mails through a real SMTP server', () => {
  let smtp: SmtpCapture
  let app: CloudlabServer
  let roleId: number

  beforeAll(async () => {
    smtp = await startSmtp()
    app = await startCloudlab({ surface: { mail: { transport: { host: '127.0.0.1', port: smtp.port }, from: 'CloudLab <cloudlab@example.com>' } } })
    const catalog = (await app.api('GET', '/api/roles/permissions')).body.permissions
    const usersView = catalog.users.find((permission: any) => permission.codename === 'users.view').id
    roleId = (await app.api('POST', '/api/roles', { body: { name: 'Team Lead', permission_ids: [usersView] } })).body.id
  })
  afterAll(async () => {
    await app?.close()
    await smtp?.close()
  })

  it('an invite mails the accept link; accepting (real backend form) activates the user with the invited role', async () => {
    const invited = await app.api('POST', '/api/users/invite', { body: { username: 'invitee', email: 'invitee@example.com', role_id: roleId } })
    expect(invited.status).toBe(200)
    expect(invited.body.invite_sent).toBe(true)
    const mail = await smtp.next('invitee@example.com')
    expect(mail.from).toBe('cloudlab@example.com')
    expect(mail.subject).toBe('You are invited to CloudLab Manager')
    const token = linkToken(mail.text, app.base, 'accept-invite')
    expect(token).toBe(invited.body.token)

    // The UI also sends `username`, which changes nothing.
    const accepted = await app.api('POST', '/api/auth/accept-invite', {
      token: null,
      body: { token, username: 'ignored', password: 'invitee-password', display_name: 'Invited Person' },
    })
    expect(accepted.status).toBe(200)
    expect(accepted.body).toMatchObject({ token_type: 'bearer', user: { username: 'invitee', display_name: 'Invited Person' }, permissions: ['users.view'] })
    const me = await app.api('GET', '/api/auth/me', { token: accepted.body.access_token })
    expect(me.body.roles).toEqual([{ id: roleId, name: 'Team Lead' }])
    const user = (await app.api('GET', `/api/users/${me.body.id}`)).body
    expect(user).toMatchObject({ is_active: true, invite_accepted_at: expect.stringMatching(/^\d{4}-/) })
    expect((await app.api('POST', '/api/auth/login', { token: null, body: { username: 'invitee', password: 'invitee-password' } })).status).toBe(200)

    // A token works once; an accepted invite cannot be resent.
    expect(await app.api('POST', '/api/auth/accept-invite', { token: null, body: { token, password: 'another-password' } })).toMatchObject({
      status: 400,
      body: { detail: 'Invalid or expired invite token' },
    })
    expect(await app.api('POST', `/api/users/${me.body.id}/resend-invite`)).toMatchObject({
      status: 400,
      body: { detail: 'User has already accepted their invite' },
    })
  })

  it('a resent invite voids the older link; the documented POST /api/auth/invite/{token} accepts the new one', async () => {
    const invited = await app.api('POST', '/api/users', { body: { username: 'second', email: 'second@example.com', role_ids: [roleId] } })
    const first = linkToken((await smtp.next('second@example.com')).text, app.base, 'accept-invite')
    const seen = smtp.received.length
    expect((await app.api('POST', `/api/users/${invited.body.user.id}/resend-invite`)).body).toMatchObject({ status: 'invite_resent', invite_sent: true })
    const second = linkToken((await smtp.next('second@example.com', seen)).text, app.base, 'accept-invite')
    expect(second).not.toBe(first)

    expect((await app.api('POST', `/api/auth/invite/${first}`, { token: null, body: { password: 'second-password' } })).body).toEqual({
      detail: 'Invalid or expired invite token',
    })
    expect((await app.api('POST', `/api/auth/invite/${second}`, { token: null, body: { password: 'short' } })).status).toBe(422)
    const accepted = await app.api('POST', `/api/auth/invite/${second}`, { token: null, body: { password: 'second-password' } })
    expect(accepted.status).toBe(200)
    expect(accepted.body.user.username).toBe('second')
  })

  it('an expired invite is refused', async () => {
    const invited = await app.api('POST', '/api/users/invite', { body: { username: 'late', email: 'late@example.com', role_ids: [] } })
    await smtp.next('late@example.com')
    // Move the stored expiry into the past, as 72 hours would.
    const keys = await app.engine.storage.getKeys('cloudlab:tokens')
    for (const key of keys) {
      const record = await app.engine.storage.getItem<any>(key)
      if (record.kind === 'invite' && record.userId === invited.body.user.id) await app.engine.storage.setItem(key, { ...record, expiresAt: Date.now() - 1 })
    }
    expect((await app.api('POST', '/api/auth/accept-invite', { token: null, body: { token: invited.body.token, password: 'late-password' } })).body).toEqual({
      detail: 'Invalid or expired invite token',
    })
    expect((await app.api('POST', '/api/auth/accept-invite', { token: null, body: { password: 'late-password' } })).status).toBe(422)
  })

  it('forgot-password answers the same for any address and mails a link only to a known one; reset (UI form) sets the password once', async () => {
    const user = await app.userWith('forgetful', [])
    await app.server.identity.users.update(user.id, { email: 'forgetful@example.com' })
    const expected = { status: 'ok', message: 'If an account exists with that email, a reset link has been sent.' }
    const seen = smtp.received.length
    expect((await app.api('POST', '/api/auth/forgot-password', { token: null, body: { email: 'ghost@example.com' } })).body).toEqual(expected)
    expect((await app.api('POST', '/api/auth/forgot-password', { token: null, body: { email: 'Forgetful@Example.com' } })).body).toEqual(expected)
    const mail = await smtp.next('forgetful@example.com', seen)
    expect(mail.subject).toBe('CloudLab Manager password reset')
    expect(smtp.received.slice(seen).some((message) => message.to.includes('ghost@example.com'))).toBe(false)
    const token = linkToken(mail.text, app.base, 'reset-password')

    expect((await app.api('POST', '/api/auth/reset-password', { token: null, body: { token, new_password: 'short' } })).status).toBe(422)
    expect((await app.api('POST', '/api/auth/reset-password', { token: null, body: { token } })).status).toBe(422)
    expect((await app.api('POST', '/api/auth/reset-password', { token: null, body: { token, new_password: 'reset-password-1' } })).body).toEqual({
      status: 'ok',
    })
    expect((await app.api('POST', '/api/auth/login', { token: null, body: { username: 'forgetful', password: 'reset-password-1' } })).status).toBe(200)
    expect((await app.api('GET', '/api/auth/me', { token: user.token })).status).toBe(401)
    expect((await app.api('POST', '/api/auth/reset-password', { token: null, body: { token, password: 'reset-password-2' } })).body).toEqual({
      detail: 'Invalid or expired reset token',
    })
    expect((await app.api('POST', '/api/auth/forgot-password', { token: null, body: {} })).status).toBe(422)
  })

  it('a newer reset request voids the older link; the documented POST /api/auth/password-reset/{token} takes { password }', async () => {
    const seen = smtp.received.length
    await app.api('POST', '/api/auth/forgot-password', { token: null, body: { email: 'forgetful@example.com' } })
    const first = linkToken((await smtp.next('forgetful@example.com', seen)).text, app.base, 'reset-password')
    const again = smtp.received.length
    await app.api('POST', '/api/auth/forgot-password', { token: null, body: { email: 'forgetful@example.com' } })
    const second = linkToken((await smtp.next('forgetful@example.com', again)).text, app.base, 'reset-password')
    expect((await app.api('POST', `/api/auth/password-reset/${first}`, { token: null, body: { password: 'reset-password-3' } })).body).toEqual({
      detail: 'Invalid or expired reset token',
    })
    expect((await app.api('POST', `/api/auth/password-reset/${second}`, { token: null, body: { password: 'reset-password-3' } })).body).toEqual({
      status: 'ok',
    })
    expect((await app.api('POST', '/api/auth/login', { token: null, body: { username: 'forgetful', password: 'reset-password-3' } })).status).toBe(200)
  })

  it('with the SMTP server gone, an invite still answers its token and says the mail was not sent', async () => {
    await smtp.close()
    const invited = await app.api('POST', '/api/users/invite', { body: { username: 'offline', email: 'offline@example.com', role_ids: [] } })
    expect(invited.status).toBe(200)
    expect(invited.body.invite_sent).toBe(false)
    expect(invited.body.token).toMatch(/^[\w-]{64}$/)
  })
})
