import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVault } from '../../src/surfaces/cloudlab/accounts/vault'
import { adminPassword, startCloudlab, vaultPassword, type CloudlabServer } from './helpers'

/** Every file under `dir`, read as text. */
async function everyFile(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  const texts = await Promise.all(entries.filter((entry) => entry.isFile()).map((entry) => readFile(join(entry.parentPath, entry.name), 'utf8')))
  return texts.join('\n')
}

describe('cloudlab first run and auth', () => {
  let app: CloudlabServer
  let token: string

  beforeAll(async () => {
    app = await startCloudlab({ setup: false })
  })
  afterAll(async () => {
    await app?.close()
  })

  it('before setup: status and setup-required say so, login is refused with 400', async () => {
    expect((await app.api('GET', '/api/auth/status', { token: null })).body).toEqual({ setup_complete: false })
    expect((await app.api('GET', '/api/auth/setup-required', { token: null })).body).toEqual({ setup_required: true })
    const login = await app.api('POST', '/api/auth/login', { token: null, body: { username: 'admin', password: adminPassword } })
    expect(login).toMatchObject({ status: 400, body: { detail: 'Setup not completed' } })
  })

  it('setup validates its body in FastAPI shape (422)', async () => {
    const short = await app.api('POST', '/api/auth/setup', { token: null, body: { username: 'ad', password: 'short' } })
    expect(short.status).toBe(422)
    expect(short.body.detail).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ loc: ['body', 'username'], msg: 'Value error, Username must be 3-30 alphanumeric characters or underscores' }),
        expect.objectContaining({ loc: ['body', 'password'], msg: 'Value error, Password must be at least 8 characters' }),
      ]),
    )
    expect((await app.api('POST', '/api/auth/setup', { token: null, body: { username: 'bad name!', password: 'long enough' } })).status).toBe(422)
    expect((await app.api('POST', '/api/auth/setup', { token: null })).status).toBe(422)
    const malformed = await app.api('POST', '/api/auth/setup', { token: null, rawBody: '{"username":' })
    expect(malformed.status).toBe(400)
    expect(malformed.body.detail).toBeDefined()
    expect((await app.api('GET', '/api/auth/status', { token: null })).body.setup_complete).toBe(false)
  })

  it('setup creates the super-admin once, answers the real token shape, and seals the vault password', async () => {
    const setup = await app.api('POST', '/api/auth/setup', { token: null, body: { username: 'admin', password: adminPassword, vault_password: vaultPassword } })
    expect(setup.status).toBe(200)
    expect(setup.body).toMatchObject({ token_type: 'bearer', user: { username: 'admin', email: null, display_name: 'admin', ssh_public_key: null } })
    expect(setup.body.permissions).toContain('system.audit_log')
    expect(setup.body.permissions).toContain('users.assign_roles')
    token = setup.body.access_token
    expect((await app.api('GET', '/api/auth/status', { token: null })).body).toEqual({ setup_complete: true })
    expect((await app.api('GET', '/api/auth/setup-required', { token: null })).body).toEqual({ setup_required: false })

    const again = await app.api('POST', '/api/auth/setup', { token: null, body: { username: 'other', password: adminPassword } })
    expect(again).toMatchObject({ status: 400, body: { detail: 'Setup already completed' } })

    // At rest the vault password is sealed; the vault opens it with the signing key.
    expect(await everyFile(join(app.root, 'data'))).not.toContain(vaultPassword)
    expect(await createVault({ engine: app.engine, identity: app.server.identity }).password()).toBe(vaultPassword)
  })

  it('setup without a vault password (the UI leaves an empty one out) is accepted', async () => {
    const other = await startCloudlab({ setup: false })
    try {
      const setup = await other.api('POST', '/api/auth/setup', { token: null, body: { username: 'first_admin', password: adminPassword } })
      expect(setup.status).toBe(200)
      expect(await createVault({ engine: other.engine, identity: other.server.identity }).password()).toBeUndefined()
    } finally {
      await other.close()
    }
  })

  it('login answers the token response; wrong credentials are 401 Invalid credentials', async () => {
    const login = await app.api('POST', '/api/auth/login', { token: null, body: { username: 'admin', password: adminPassword } })
    expect(login.status).toBe(200)
    expect(Object.keys(login.body).sort()).toEqual(['access_token', 'permissions', 'token_type', 'user'])
    token = login.body.access_token
    expect((await app.api('POST', '/api/auth/login', { token: null, body: { username: 'admin', password: 'wrong-password' } })).body).toEqual({
      detail: 'Invalid credentials',
    })
    expect((await app.api('POST', '/api/auth/login', { token: null, body: { username: 'nobody', password: 'whatever-pw' } })).status).toBe(401)
    expect((await app.api('POST', '/api/auth/login', { token: null, body: { username: 'admin' } })).status).toBe(422)
  })

  it('me lists the user, sorted permissions and roles; the audit log has the login with last_login_at set', async () => {
    const me = await app.api('GET', '/api/auth/me', { token })
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({ username: 'admin', display_name: 'admin', ssh_public_key: null, roles: [{ id: 1, name: 'super-admin' }] })
    expect(me.body.permissions).toEqual([...me.body.permissions].sort())
    const catalog = (await app.api('GET', '/api/roles/permissions', { token })).body.permissions
    expect(me.body.permissions).toHaveLength((Object.values(catalog).flat() as unknown[]).length)
    const users = await app.api('GET', '/api/users', { token })
    expect(users.body.users[0].last_login_at).toMatch(/^\d{4}-\d\d-\d\dT/)
    const audit = await app.api('GET', '/api/audit?action=login&username=admin', { token })
    expect(audit.body.total).toBe(1)
    expect(audit.body.entries[0]).toMatchObject({ action: 'login', username: 'admin', ip_address: '127.0.0.1' })
  })

  it('without a token: 401 Not authenticated with WWW-Authenticate; a bad token: 401 Invalid token', async () => {
    const missing = await app.api('GET', '/api/auth/me', { token: null })
    expect(missing.status).toBe(401)
    expect(missing.body).toEqual({ detail: 'Not authenticated' })
    expect(missing.headers.get('www-authenticate')).toBe('Bearer')
    expect(await app.api('GET', '/api/auth/me', { token: 'not-a-jwt' })).toMatchObject({ status: 401, body: { detail: 'Invalid token' } })
  })

  it('a control-center token works here: one identity for every surface', async () => {
    const response = await fetch(`${app.controlCenterBase}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: adminPassword }),
    })
    const controlToken = ((await response.json()) as any).data.token
    expect((await app.api('GET', '/api/auth/me', { token: controlToken })).body.username).toBe('admin')
  })

  it('profile: display name and e-mail change (PUT /api/auth/me and PUT /api/users/profile); a taken address is 400', async () => {
    const changed = await app.api('PUT', '/api/auth/me', { token, body: { display_name: 'The Admin', email: 'Admin@Example.com' } })
    expect(changed.status).toBe(200)
    expect(changed.body).toMatchObject({ display_name: 'The Admin', email: 'admin@example.com', is_active: true })
    const viaUsers = await app.api('PUT', '/api/users/profile', { token, body: { display_name: 'Admin Two' } })
    expect(viaUsers.body.display_name).toBe('Admin Two')
    expect((await app.api('GET', '/api/auth/me', { token })).body.email).toBe('admin@example.com')
    // The UI's form sends "" for no address: that clears it.
    expect((await app.api('PUT', '/api/auth/me', { token, body: { display_name: 'Admin Two', email: '' } })).body.email).toBeNull()
    expect((await app.api('PUT', '/api/auth/me', { token, body: { email: 'admin@example.com' } })).body.email).toBe('admin@example.com')

    const other = await app.userWith('other_user', [])
    expect(await app.api('PUT', '/api/auth/me', { token: other.token, body: { email: 'admin@example.com' } })).toMatchObject({
      status: 400,
      body: { detail: 'Email already in use' },
    })
    expect((await app.api('PUT', '/api/auth/me', { token: other.token, body: { email: 'not-an-address' } })).status).toBe(422)
    expect((await app.api('PUT', '/api/auth/me', { token: null, body: {} })).status).toBe(401)
  })

  it('password change checks the current one and the length; the new password logs in (both routes)', async () => {
    const user = await app.userWith('changer', [])
    expect(
      await app.api('POST', '/api/auth/change-password', { token: user.token, body: { current_password: 'wrong-one', new_password: 'new-password-1' } }),
    ).toMatchObject({
      status: 400,
      body: { detail: 'Current password is incorrect' },
    })
    const short = await app.api('POST', '/api/auth/change-password', { token: user.token, body: { current_password: user.password, new_password: 'short' } })
    expect(short.status).toBe(422)
    expect(short.body.detail[0].msg).toBe('Value error, New password must be at least 8 characters')

    const otherSession = await app.login('changer', user.password)
    const changed = await app.api('POST', '/api/auth/change-password', {
      token: user.token,
      body: { current_password: user.password, new_password: 'new-password-1' },
    })
    expect(changed).toMatchObject({ status: 200, body: { status: 'ok' } })
    // The UI keeps the token it has: the session that changed the password goes on, the others end.
    expect((await app.api('GET', '/api/auth/me', { token: user.token })).body.username).toBe('changer')
    expect(await app.api('GET', '/api/auth/me', { token: otherSession })).toMatchObject({ status: 401, body: { detail: expect.any(String) } })
    const login = await app.api('POST', '/api/auth/login', { token: null, body: { username: 'changer', password: 'new-password-1' } })
    expect(login.status).toBe(200)

    const aliased = await app.api('POST', '/api/users/password', {
      token: user.token,
      body: { current_password: 'new-password-1', new_password: 'newer-password-2' },
    })
    expect(aliased.status).toBe(200)
    expect((await app.api('GET', '/api/auth/me', { token: user.token })).status).toBe(200)
    expect((await app.api('GET', '/api/auth/me', { token: login.body.access_token })).status).toBe(401)
    expect((await app.api('POST', '/api/auth/login', { token: null, body: { username: 'changer', password: 'newer-password-2' } })).status).toBe(200)
  })

  it("tokens carry CloudLab's 24 h lifetime (the platform's own tokens keep theirs)", async () => {
    const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'))
    const claims = claimsOf(await app.login('admin', adminPassword))
    expect(claims.exp - claims.iat).toBe(24 * 60 * 60)
    const platform = await fetch(`${app.controlCenterBase}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: adminPassword }),
    })
    const platformToken = JSON.stringify(await platform.json()).match(/"(eyJ[\w-]+\.[\w-]+\.[\w-]+)"/)?.[1]
    expect(platformToken).toBeDefined()
    const platformClaims = claimsOf(platformToken!)
    expect(platformClaims.exp - platformClaims.iat).toBe(60 * 60)
  })

  it('SSH keys: a generated ed25519 pair that ssh-keygen reads, shown in the key list, then deleted', async () => {
    const pair = await app.api('POST', '/api/auth/me/ssh-key', { token })
    expect(pair.status).toBe(200)
    expect(pair.body.public_key).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA[\w+/=]+ Admin_Two@cloudlab$/)
    expect(pair.body.private_key).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/)
    const dir = await mkdtemp(join(tmpdir(), 'cloudlab-key-'))
    try {
      await writeFile(join(dir, 'id'), pair.body.private_key, { mode: 0o600 })
      // ssh-keygen derives the public key from the private one: both halves are well formed and belong together.
      const derived = execFileSync('ssh-keygen', ['-y', '-f', join(dir, 'id')], { encoding: 'utf8' }).trim()
      expect(pair.body.public_key.startsWith(derived)).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    expect((await app.api('GET', '/api/auth/me/ssh-key', { token })).body).toEqual({ ssh_public_key: pair.body.public_key })
    const keys = await app.api('GET', '/api/auth/ssh-keys', { token })
    expect(keys.body.keys).toEqual([
      { user_id: expect.any(String), username: 'admin', display_name: 'Admin Two', ssh_public_key: pair.body.public_key, is_self: true },
    ])
    expect((await app.api('DELETE', '/api/auth/me/ssh-key', { token })).body).toEqual({ status: 'ok' })
    expect((await app.api('GET', '/api/auth/me/ssh-key', { token })).body).toEqual({ ssh_public_key: null })
    expect((await app.api('GET', '/api/auth/ssh-keys', { token: null })).status).toBe(401)
  })

  it('an unknown /api path is a JSON 404; a wrong method is a JSON 405', async () => {
    const unknown = await app.api('GET', '/api/no/such/route', { token })
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get('content-type')).toMatch(/^application\/json/)
    expect(unknown.body).toEqual({ detail: 'Not Found' })
    expect((await app.api('POST', '/api/nothing', { token: null })).body).toEqual({ detail: 'Not Found' })
    // Without --cloudlab-ui, / is no page either.
    expect((await app.api('GET', '/', { token: null })).body).toEqual({ detail: 'Not Found' })
    expect(await app.api('DELETE', '/api/auth/status', { token: null })).toMatchObject({ status: 405, body: { detail: 'Method Not Allowed' } })
  })

  it('the OpenAPI document lists both forms of the accounts routes', async () => {
    const doc = await app.api('GET', '/openapi.json', { token: null })
    expect(doc.status).toBe(200)
    for (const path of [
      '/api/auth/status',
      '/api/auth/setup-required',
      '/api/auth/accept-invite',
      '/api/auth/invite/{token}',
      '/api/auth/reset-password',
      '/api/auth/password-reset/{token}',
      '/api/users/invite',
      '/api/users/{id}/roles',
      '/api/roles/permissions',
      '/api/audit',
    ]) {
      expect(doc.body.paths).toHaveProperty([path])
    }
  })

  it('logout ends the token', async () => {
    const own = await app.login('admin', adminPassword)
    expect((await app.api('POST', '/api/auth/logout', { token: own })).body).toEqual({ status: 'ok' })
    expect((await app.api('GET', '/api/auth/me', { token: own })).status).toBe(401)
  })
})

describe('cloudlab auth routes share the per-IP auth rate limit', () => {
  it('login, accept-invite, forgot- and reset-password answer 429 with Retry-After once the budget is spent', async () => {
    const app = await startCloudlab({ rateLimits: { auth: 3 } })
    try {
      // Setup spent one; two more pass.
      for (let attempt = 0; attempt < 2; attempt++) {
        expect((await app.api('POST', '/api/auth/login', { token: null, body: { username: 'admin', password: 'wrong-password' } })).status).toBe(401)
      }
      for (const [path, body] of [
        ['/api/auth/login', { username: 'admin', password: adminPassword }],
        ['/api/auth/accept-invite', { token: 'x', password: 'long-enough' }],
        ['/api/auth/forgot-password', { email: 'a@example.com' }],
        ['/api/auth/reset-password', { token: 'x', password: 'long-enough' }],
      ] as const) {
        const refused = await app.api('POST', path, { token: null, body })
        expect({ path, status: refused.status }).toEqual({ path, status: 429 })
        expect(refused.body).toEqual({ error: expect.stringMatching(/^Rate limit exceeded: /) })
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
      }
      // Authenticated routes count against the caller's own budget.
      expect((await app.api('GET', '/api/auth/me')).status).toBe(200)
    } finally {
      await app.close()
    }
  })
})
