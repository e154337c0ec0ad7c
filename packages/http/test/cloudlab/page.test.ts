import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { exec } from '@provisio/adapters'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeWithTool } from '../../../../test/helpers/system-tools'
import { adminPassword, startCloudlab, type CloudlabServer } from './helpers'

const uiDir = fileURLToPath(new URL('./fixtures/ui', import.meta.url))

/** Every request that failed or answered 4xx/5xx, as `METHOD path status`. */
function watchFailures(page: Page, failures: string[]) {
  page.on('requestfailed', (request) => failures.push(`${request.method()} ${request.url()} ${request.failure()?.errorText}`))
  page.on('response', (response) => {
    if (response.status() >= 400) failures.push(`${response.request().method()} ${response.url()} ${response.status()}`)
  })
  page.on('pageerror', (error) => failures.push(`page error: ${error.message}`))
}

describeWithTool('chromium')('cloudlab in a real browser, the way the React UI calls it', () => {
  let browser: Browser
  let app: CloudlabServer
  const contexts: BrowserContext[] = []

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
    app = await startCloudlab({ setup: false, surface: { ui: uiDir }, engine: { providers: [exec()] } })
  })
  afterAll(async () => {
    for (const context of contexts) await context.close()
    await browser?.close()
    await app?.close()
  })

  async function freshPage(failures: string[]) {
    const context = await browser.newContext()
    contexts.push(context)
    const page = await context.newPage()
    watchFailures(page, failures)
    return page
  }

  it('setup, login, invite, users search, accept in a fresh browser with the invited role, logout: no failed request', async () => {
    const failures: string[] = []
    const admin = await freshPage(failures)

    await admin.goto(`${app.base}/`)
    await admin.waitForSelector('#setup')
    await admin.fill('#setup input[name=username]', 'admin')
    await admin.fill('#setup input[name=password]', adminPassword)
    await admin.fill('#setup input[name=vault_password]', 'vault-secret')
    await admin.click('#setup button')
    await admin.waitForSelector('#who')
    expect(await admin.textContent('#who')).toBe('admin')
    expect(await admin.textContent('#roles')).toBe('super-admin')
    expect(await admin.locator('#menu a').allTextContents()).toEqual(['Dashboard', 'Users', 'Roles', 'Audit Log', 'Services', 'Jobs'])

    // A role for the invitee, made through the API with the admin's token from the page's storage.
    const stored = JSON.parse((await admin.evaluate("localStorage.getItem('cloudlab-auth')")) as string)
    const catalog = (await app.api('GET', '/api/roles/permissions', { token: stored.state.token })).body.permissions
    const usersView = catalog.users.find((permission: any) => permission.codename === 'users.view').id
    const role = await app.api('POST', '/api/roles', { token: stored.state.token, body: { name: 'Team Lead', permission_ids: [usersView] } })
    expect(role.status).toBe(200)

    // Log out, log in through the form.
    await admin.click('#logout')
    await admin.waitForSelector('#login')
    await admin.fill('#login input[name=username]', 'admin')
    await admin.fill('#login input[name=password]', adminPassword)
    await admin.click('#login button')
    await admin.waitForSelector('#who')

    await admin.click('#menu a[href="/users"]')
    await admin.waitForSelector('#invite')
    await admin.fill('#invite input[name=username]', 'invitee')
    await admin.fill('#invite input[name=email]', 'invitee@example.com')
    await admin.fill('#invite input[name=display_name]', 'Invited Person')
    await admin.selectOption('#role', String(role.body.id))
    await admin.click('#invite button')
    await expect.poll(() => admin.textContent('#invite-url')).toMatch(new RegExp(`^${app.base}/accept-invite/[\\w-]{64}$`))
    const inviteUrl = (await admin.textContent('#invite-url'))!

    // The users search (a reload lists the invitee too).
    await admin.reload()
    await admin.waitForSelector('#search')
    expect(await admin.locator('#users tr').count()).toBe(2)
    await admin.fill('#search', 'INVITED')
    expect(await admin.locator('#users tr').evaluateAll((rows) => rows.map((row) => (row as unknown as { dataset: { user: string } }).dataset.user))).toEqual([
      'invitee',
    ])
    expect(await admin.locator('#users tr[data-user=invitee] td').nth(3).textContent()).toBe('inactive')

    // A fresh browser (no storage) opens the link, accepts, and lands with the invited role's menu.
    const invitee = await freshPage(failures)
    await invitee.goto(inviteUrl)
    await invitee.waitForSelector('#accept')
    await invitee.fill('#accept input[name=username]', 'invitee')
    await invitee.fill('#accept input[name=password]', 'invitee-password')
    await invitee.click('#accept button')
    await invitee.waitForSelector('#who')
    expect(await invitee.textContent('#who')).toBe('invitee')
    expect(await invitee.textContent('#roles')).toBe('Team Lead')
    expect(await invitee.textContent('#permissions')).toBe('users.view')
    expect(await invitee.locator('#menu a').allTextContents()).toEqual(['Dashboard', 'Users'])

    await invitee.click('#logout')
    await invitee.waitForSelector('#login')
    expect(await invitee.evaluate("localStorage.getItem('cloudlab-auth')")).toBeNull()

    expect(failures).toEqual([])
  })
  it('services page: a script run with its inputs, the job page live (polling and WebSocket), the jobs list with who started it: no failed request', async () => {
    const failures: string[] = []
    const service = join(app.servicesDir, 'hello')
    await mkdir(service, { recursive: true })
    await writeFile(join(service, 'deploy.sh'), 'echo deployed\n')
    await writeFile(join(service, 'greet.sh'), 'echo "hello $INPUT_NAME"\nfor i in 1 2 3; do echo "step $i"; sleep 0.3; done\n')
    await writeFile(
      join(service, 'scripts.yaml'),
      'scripts:\n  - name: greet\n    label: Greet\n    file: greet.sh\n    inputs:\n      - { name: NAME, label: Name, type: text, required: true }\n',
    )
    const admin = await freshPage(failures)
    await admin.goto(`${app.base}/login`)
    await admin.fill('#login input[name=username]', 'admin')
    await admin.fill('#login input[name=password]', adminPassword)
    await admin.click('#login button')
    await admin.waitForSelector('#who')
    const stored = JSON.parse((await admin.evaluate("localStorage.getItem('cloudlab-auth')")) as string)
    expect((await app.api('POST', '/api/inventory/service/sync', { token: stored.state.token })).status).toBe(200)

    await admin.click('#menu a[href="/services"]')
    await admin.waitForSelector('#services li[data-service=hello]')
    await admin.fill('#input-name', 'browser')
    await admin.click('#run')
    await admin.waitForURL(/\/jobs\/[\w-]+$/)
    await expect.poll(() => admin.textContent('#job-status'), { timeout: 20_000 }).toBe('completed')
    expect(await admin.textContent('#output')).toMatch(/hello browser\nstep 1\nstep 2\nstep 3$/)
    expect(await admin.textContent('#started-by')).toBe('admin')
    await expect.poll(() => admin.locator('#live').getAttribute('data-done')).toBe('completed')
    expect(await admin.textContent('#live')).toBe(`${await admin.textContent('#output')}\n`)

    await admin.click('#menu a[href="/jobs"]')
    await admin.waitForSelector('#jobs tr')
    expect(await admin.locator('#jobs tr').first().locator('td').allTextContents()).toEqual(['hello', 'run_script', 'completed', 'admin'])
    expect(failures).toEqual([])
  })
})
