/**
 * Drives CloudLab Manager's own React UI (a vite build of its `frontend/`, not in this repository)
 * against `provisio serve --surfaces cloudlab --cloudlab-ui DIR`, in headless Chromium, through
 * every flow issue 12 lists, and reports each failed request, console error and error toast.
 *
 *   CLOUDLAB_UI_DIR=/tmp/clui/frontend/dist npx tsx packages/http/test/cloudlab/real-ui/drive.ts
 *
 * `CLOUDLAB_SHOTS=DIR` keeps a screenshot per flow. Exits 1 when a flow or a request failed.
 * A developer tool, not a vitest test: CI has no copy of their UI (see docs/surfaces/cloudlab.md).
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { startCli, waitForOutput } from '../../cli-process'
import { startSshd } from '../inventory/sshd'
import { startSmtp } from '../smtp'

const uiDir = process.env.CLOUDLAB_UI_DIR
const shots = process.env.CLOUDLAB_SHOTS
const adminPassword = 'admin-password-1'
const inviteePassword = 'invitee-password-1'

/** An existing CloudLab Manager's folders: a slow deploy, a service with scripts and typed inputs, a custom inventory type. */
const files: Record<string, string> = {
  'services/slow-web/deploy.sh': 'echo "deploying slow-web"\nfor i in 1 2 3 4 5 6; do echo "step $i of 6"; sleep 1; done\necho "slow-web is up"\n',
  'services/greeter/deploy.sh': 'echo "deploying greeter"\n',
  'services/greeter/greet.sh': 'echo "hello $INPUT_NAME in $INPUT_REGION"\nfor extra in $INPUT_EXTRAS; do echo "extra $extra"; done\nsleep 1\necho "greeted"\n',
  'services/greeter/scripts.yaml': `scripts:
  - name: deploy
    label: Deploy
    file: deploy.sh
  - name: greet
    label: Greet someone
    file: greet.sh
    inputs:
      - {name: name, label: Name, type: string, required: true}
      - {name: region, label: Region, type: select, options: [ams, fra], default: ams}
      - {name: extras, label: Extras, type: list}
`,
  'inventory_types/database.yaml': `slug: database
label: Databases
fields:
  - {name: name, type: string, required: true, unique: true, searchable: true}
  - {name: engine, type: enum, options: [postgres, mysql]}
actions: []
`,
}

/** The invited role, as the role page groups and labels its permissions. */
const invitedPermissions = [
  ['services', 'View Services'],
  ['services', 'Deploy Services'],
  ['jobs', 'View Own Jobs'],
  ['inventory.service', 'View Services'],
  ['inventory.service', 'Run Script'],
]

interface Problem {
  flow: string
  what: string
}

const problems: Problem[] = []
/** What their UI does by itself, whatever the server (said in the report, not failures). */
const notes: string[] = []
const results: { flow: string; ok: boolean; error?: string }[] = []
let currentFlow = 'start'

/** Every 4xx/5xx answer, failed request, console error, page error and error toast on this page. */
async function watch(page: Page, who: string) {
  page.on('response', (response) => {
    if (response.status() >= 400)
      problems.push({ flow: currentFlow, what: `${who}: ${response.request().method()} ${new URL(response.url()).pathname} → ${response.status()}` })
  })
  page.on('requestfailed', (request) => {
    // index.html loads Google Fonts; this machine has no internet.
    if (new URL(request.url()).origin !== new URL(page.url()).origin)
      return notes.push(`${who}: ${request.url()} (another origin) ${request.failure()?.errorText}`)
    // A navigation cancels the requests of the page it leaves.
    if (request.failure()?.errorText === 'net::ERR_ABORTED')
      return notes.push(`${who}: ${request.method()} ${new URL(request.url()).pathname} cancelled by a navigation`)
    problems.push({ flow: currentFlow, what: `${who}: ${request.method()} ${new URL(request.url()).pathname} failed (${request.failure()?.errorText})` })
  })
  page.on('console', (message) => {
    if (message.type() === 'error' && !/ERR_NAME_NOT_RESOLVED/.test(message.text()))
      problems.push({ flow: currentFlow, what: `${who}: console error: ${message.text()} (${message.location().url})` })
  })
  page.on('pageerror', (error) => problems.push({ flow: currentFlow, what: `${who}: page error: ${error.message}` }))
  await page.exposeBinding('reportErrorToast', (_source, text: string) => problems.push({ flow: currentFlow, what: `${who}: error toast: ${text}` }))
  // sonner renders each toast as an <li data-sonner-toast data-type=...>.
  await page.addInitScript({
    content: `{
      const seen = new WeakSet()
      new MutationObserver(() => {
        for (const toast of document.querySelectorAll('[data-sonner-toast][data-type="error"]')) {
          if (seen.has(toast)) continue
          seen.add(toast)
          window.reportErrorToast(toast.textContent ?? '')
        }
      }).observe(document, { childList: true, subtree: true })
    }`,
  })
}

async function flow(name: string, pages: Page[], run: () => Promise<void>) {
  currentFlow = name
  const before = problems.length
  try {
    await run()
    results.push({ flow: name, ok: problems.length === before })
  } catch (error) {
    results.push({ flow: name, ok: false, error: error instanceof Error ? error.message.split('\n')[0] : String(error) })
  }
  if (shots) for (const [index, page] of pages.entries()) await page.screenshot({ path: join(shots, `${name}${index ? `-${index}` : ''}.png`), fullPage: true })
}

function check(condition: boolean, message: string) {
  if (!condition) throw new Error(message)
}

/** The card of a service on the services page. */
function serviceCard(page: Page, name: string) {
  return page.locator('div.animate-card-in').filter({ has: page.getByRole('heading', { name, exact: true }) })
}

/** A type's card on the inventory hub. */
function typeCard(page: Page, label: string) {
  return page.locator('div.cursor-pointer').filter({ hasText: new RegExp(`^${label}\\d`) })
}

async function sidebarLabels(page: Page) {
  return (await page.locator('aside a').allTextContents()).map((text) => text.trim()).filter(Boolean)
}

/** The sidebar once it shows `expected` (it renders the user's permissions when /me answers), or after 10 s. */
async function menuOnceSettled(page: Page, expected: string[]) {
  const until = Date.now() + 10_000
  for (;;) {
    const menu = await sidebarLabels(page)
    if (JSON.stringify(menu) === JSON.stringify(expected) || Date.now() > until) return menu
    await page.waitForTimeout(100)
  }
}

async function main() {
  if (!uiDir) throw new Error('set CLOUDLAB_UI_DIR to a build of CloudLab Manager frontend/ (its vite dist)')
  await stat(join(uiDir, 'index.html'))
  if (shots) await mkdir(shots, { recursive: true })
  const root = await mkdtemp(join(tmpdir(), 'provisio-cloudlab-ui-'))
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true })
    await writeFile(join(root, path), content)
  }
  const smtp = await startSmtp()
  // A host for the terminal, found the way CloudLab finds it: a service's outputs/temp_inventory.yaml.
  await mkdir(join(root, 'sshd'))
  const sshd = await startSshd(join(root, 'sshd'))
  await mkdir(join(root, 'services/slow-web/outputs'))
  await writeFile(
    join(root, 'services/slow-web/outputs/temp_inventory.yaml'),
    `all:\n  hosts:\n    lab-box:\n      ansible_host: 127.0.0.1\n      ansible_port: ${sshd.port}\n      ansible_user: ${sshd.user}\n      ansible_ssh_private_key_file: ${sshd.clientKey}\n`,
  )
  await writeFile(join(root, 'provisio.yaml'), `cloudlab:\n  smtp:\n    host: 127.0.0.1\n    port: ${smtp.port}\n    from: cloudlab@example.com\n`)
  const server = startCli(
    [
      'serve',
      '--data-dir',
      join(root, 'data'),
      '--surfaces',
      'cloudlab',
      '--cloudlab-port',
      '0',
      '--cloudlab-ui',
      uiDir,
      '--cloudlab-services-dir',
      join(root, 'services'),
      '--cloudlab-inventory-types-dir',
      join(root, 'inventory_types'),
      '--sandbox',
    ],
    { cwd: root },
  )
  let browser: Browser | undefined
  try {
    const [, base] = await waitForOutput(server, /cloudlab\s+(http:\/\/127\.0\.0\.1:\d+)/, 60_000)
    await waitForOutput(server, /CloudLab Manager UI at/, 10_000)
    console.log(`serving ${uiDir} at ${base}`)
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
    const adminContext = await browser.newContext({ viewport: { width: 1400, height: 900 } })
    adminContext.setDefaultTimeout(10_000)
    const admin = await adminContext.newPage()
    await watch(admin, 'admin')

    await flow('first-run setup', [admin], async () => {
      await admin.goto(`${base}/`)
      await admin.waitForURL(/\/setup$/)
      await admin.fill('#username', 'admin')
      await admin.fill('#password', adminPassword)
      await admin.fill('#confirm', adminPassword)
      await admin.fill('#vault', 'vault-secret')
      const setup = admin.waitForResponse((response) => response.url().endsWith('/api/auth/setup'))
      await admin.click('button[type=submit]')
      check((await setup).status() === 200, 'setup refused')
      // Their AuthGuard still holds the status it read before setup (react-query, 30 s fresh) and
      // sends the new admin back to /setup, whatever the server: a reload is what a person does.
      await admin.waitForURL(/\/(dashboard|setup)$/)
      if (admin.url().endsWith('/setup'))
        notes.push('after setup their UI goes back to /setup from its cached /api/auth/status (their UI, any server): reloaded')
      await admin.goto(`${base}/dashboard`)
      await admin.waitForURL(/\/dashboard$/)
      await admin.waitForLoadState('networkidle')
    })

    await flow('logout and login', [admin], async () => {
      await admin.locator('header button').filter({ hasText: 'admin' }).click()
      await admin.getByRole('menuitem', { name: 'Logout' }).click()
      await admin.waitForURL(/\/login$/)
      await admin.fill('#username', 'admin')
      await admin.fill('#password', adminPassword)
      await admin.click('button[type=submit]')
      await admin.waitForURL(/\/dashboard$/)
      await admin.waitForLoadState('networkidle')
      const full = ['Dashboard', 'Services', 'Inventory', 'Jobs', 'Costs', 'Users', 'Roles', 'Audit Log']
      const menu = await menuOnceSettled(admin, full)
      check(JSON.stringify(menu) === JSON.stringify(full), `admin menu: ${menu.join(', ')}`)
    })

    await flow('services', [admin], async () => {
      await admin.locator('aside a[href="/services"]').click()
      await admin.waitForURL(/\/services$/)
      await admin.getByRole('heading', { name: 'slow-web' }).waitFor()
      await admin.getByRole('heading', { name: 'greeter' }).waitFor()
      await admin.waitForLoadState('networkidle')
    })

    await flow('deploy and watch it live', [admin], async () => {
      const card = serviceCard(admin, 'slow-web')
      await card.getByRole('button', { name: /deploy/i }).click()
      await admin.waitForURL(/\/jobs\/[\w-]+$/)
      // Live: a partial output while the job still runs, then all of it and the final status.
      await admin.getByText('step 2 of 6').waitFor({ timeout: 15_000 })
      check(!(await admin.getByText('slow-web is up').isVisible()), 'the output was complete at once, not live')
      await admin.getByText('slow-web is up').waitFor({ timeout: 20_000 })
      await admin
        .getByText(/completed/i)
        .first()
        .waitFor({ timeout: 10_000 })
      const header = await admin.locator('p').filter({ hasText: 'Started' }).first().textContent()
      check(/by admin/.test(header ?? ''), `job header: ${header}`)
    })

    await flow('script with inputs', [admin], async () => {
      await admin.locator('aside a[href="/services"]').click()
      await admin.getByRole('heading', { name: 'greeter' }).waitFor()
      const card = serviceCard(admin, 'greeter')
      await card.getByRole('combobox').click()
      await admin.getByRole('option', { name: 'Greet someone' }).click()
      await card.locator('button.rounded-l-none').click()
      const dialog = admin.getByRole('dialog')
      await dialog.waitFor()
      await dialog.locator('input').first().fill('Ada')
      await dialog
        .getByRole('button', { name: 'Add' })
        .or(dialog.getByRole('button', { name: /add/i }))
        .first()
        .click()
      await dialog.locator('input').nth(1).fill('one')
      await dialog.getByRole('button', { name: 'Run' }).click()
      await admin.waitForURL(/\/jobs\/[\w-]+$/)
      await admin.getByText('hello Ada in ams').waitFor({ timeout: 15_000 })
      await admin.getByText('greeted').waitFor({ timeout: 15_000 })
    })

    await flow('jobs list with who started it', [admin], async () => {
      await admin.locator('aside a[href="/jobs"]').click()
      await admin.waitForURL(/\/jobs$/)
      const row = admin.locator('tbody tr').filter({ hasText: 'slow-web' }).first()
      await row.waitFor()
      const cells = (await row.locator('td').allTextContents()).join(' | ')
      check(/admin/.test(cells), `slow-web row: ${cells}`)
      await admin.locator('tbody tr').filter({ hasText: 'greeter' }).first().waitFor()
    })

    let inviteUrl = ''
    await flow('invite a user', [admin], async () => {
      // The role the invitee gets, made on the roles page.
      await admin.locator('aside a[href="/roles"]').click()
      await admin.waitForURL(/\/roles$/)
      await admin.getByRole('button', { name: 'Create Role' }).click()
      await admin.getByRole('dialog').locator('input').first().fill('Lab Operator')
      await admin.getByRole('dialog').getByRole('button', { name: 'Create' }).click()
      await admin.getByRole('button', { name: 'Lab Operator' }).click()
      await admin.waitForURL(/\/roles\/\d+$/)
      for (const [category, label] of invitedPermissions) {
        const group = admin.locator('div.mb-6').filter({ has: admin.locator('span', { hasText: new RegExp(`^${category.replace('.', '\\.')}$`) }) })
        await group
          .locator('label')
          .filter({ hasText: new RegExp(`^${label}$`) })
          .getByRole('checkbox')
          .click()
      }
      await admin.getByRole('button', { name: 'Save' }).click()
      await admin.locator('[data-sonner-toast]').filter({ hasText: 'Role updated' }).waitFor()

      await admin.locator('aside a[href="/users"]').click()
      await admin.waitForURL(/\/users$/)
      await admin.getByRole('button', { name: 'Invite User' }).click()
      const dialog = admin.getByRole('dialog')
      const inputs = dialog.locator('input')
      await inputs.nth(0).fill('invitee')
      await inputs.nth(1).fill('invitee@example.com')
      await inputs.nth(2).fill('Invited Person')
      await dialog.getByRole('combobox').click()
      await admin.getByRole('option', { name: 'Lab Operator' }).click()
      await dialog.getByRole('button', { name: 'Send Invite' }).click()
      const created = admin.getByRole('dialog').filter({ hasText: 'Invite Created' })
      await created.waitFor()
      inviteUrl = await created.locator('input[readonly]').inputValue()
      check(inviteUrl.startsWith(`${base}/accept-invite/`), `invite link: ${inviteUrl}`)
      const mail = await smtp.next('invitee@example.com')
      check(mail.text.includes(inviteUrl), `the mail does not carry the link: ${mail.text}`)
      await created.getByRole('button', { name: 'Done' }).click()
    })

    await flow('users search', [admin], async () => {
      await admin
        .getByPlaceholder(/search/i)
        .first()
        .fill('invit')
      await admin.locator('tbody tr').filter({ hasText: 'invitee' }).waitFor()
      const rows = await admin.locator('tbody tr').count()
      check(rows === 1, `rows after search: ${rows}`)
    })

    const inviteeContext = await browser.newContext({ viewport: { width: 1400, height: 900 } })
    inviteeContext.setDefaultTimeout(10_000)
    const invitee = await inviteeContext.newPage()
    await watch(invitee, 'invitee')
    await flow('accept the invite in a fresh browser', [invitee], async () => {
      await invitee.goto(inviteUrl)
      await invitee.locator('#password').waitFor()
      await invitee.fill('#username', 'invitee')
      await invitee.fill('#password', inviteePassword)
      const confirm = invitee.locator('#confirm, #confirmPassword')
      if (await confirm.count()) await confirm.first().fill(inviteePassword)
      await invitee.click('button[type=submit]')
      await invitee.waitForURL(/\/dashboard$/)
      await invitee.waitForLoadState('networkidle')
      const menu = await menuOnceSettled(invitee, ['Dashboard', 'Services', 'Inventory', 'Jobs'])
      check(JSON.stringify(menu) === JSON.stringify(['Dashboard', 'Services', 'Inventory', 'Jobs']), `invitee menu: ${menu.join(', ')}`)
    })

    await flow('the invitee deploys and sees only its own jobs', [invitee], async () => {
      await invitee.locator('aside a[href="/services"]').click()
      await serviceCard(invitee, 'greeter').locator('button.rounded-l-none').click()
      await invitee.waitForURL(/\/jobs\/[\w-]+$/)
      await invitee.getByText('deploying greeter').waitFor({ timeout: 15_000 })
      const header = await invitee.locator('p').filter({ hasText: 'Started' }).first().textContent()
      check(/by invitee/.test(header ?? ''), `job header: ${header}`)
      await invitee.locator('aside a[href="/jobs"]').click()
      await invitee.locator('tbody tr').filter({ hasText: 'greeter' }).first().waitFor()
      const rows = await invitee.locator('tbody tr').allTextContents()
      check(rows.length === 1 && !rows.some((row) => row.includes('slow-web')), `invitee's jobs: ${rows.join(' / ')}`)
    })

    await flow('browse instances, inventory types and objects', [admin], async () => {
      await admin.locator('aside a[href="/inventory"]').click()
      await admin.waitForURL(/\/inventory$/)
      await typeCard(admin, 'Databases').click()
      await admin.waitForURL(/\/inventory\/database$/)
      await admin.getByRole('button', { name: 'Create' }).first().click()
      await admin.waitForURL(/\/inventory\/database\/new$/)
      // Their form always has a "Name" of its own (sent beside `data`, which the backend reads), then the type's fields.
      await admin.locator('form input').nth(0).fill('orders-db')
      await admin.locator('form input').nth(1).fill('orders-db')
      await admin
        .getByRole('button', { name: /create|save/i })
        .last()
        .click()
      await admin.waitForURL(/\/inventory\/database\/\d+$/)
      await admin.getByRole('heading', { name: 'orders-db' }).waitFor()
      await admin.locator('aside a[href="/inventory"]').click()
      await typeCard(admin, 'Databases').click()
      // The list links each object by its name.
      await admin.getByRole('button', { name: 'orders-db', exact: true }).click()
      await admin.waitForURL(/\/inventory\/database\/\d+$/)
      await admin.waitForLoadState('networkidle')

      // Instances: the server type syncs from the Vultr inventory (a refresh job, polled).
      await admin.locator('aside a[href="/inventory"]').click()
      await typeCard(admin, 'Servers').click()
      await admin.waitForURL(/\/inventory\/server$/)
      await admin.getByRole('button', { name: 'Refresh' }).click()
      await admin
        .locator('[data-sonner-toast]')
        .filter({ hasText: /refreshed/i })
        .waitFor({ timeout: 30_000 })
      await admin.locator('aside a[href="/jobs"]').click()
      await admin.locator('tbody tr').filter({ hasText: 'refresh' }).first().waitFor()
      const jobs = await admin.locator('tbody tr').allTextContents()
      check(!jobs.some((row) => row.includes('instance.list')), `a job without a service in the list: ${jobs.join(' / ')}`)

      await admin.locator('aside a[href="/inventory"]').click()
      await typeCard(admin, 'Services').click()
      await admin.waitForURL(/\/inventory\/service$/)
      await admin.getByRole('button', { name: 'greeter', exact: true }).click()
      await admin.waitForURL(/\/inventory\/service\/\d+$/)
      await admin.getByRole('heading', { name: 'greeter' }).waitFor()
      await admin.waitForLoadState('networkidle')
      await admin.locator('aside a[href="/inventory"]').click()
      await admin.getByRole('button', { name: /tags/i }).first().click()
      await admin.waitForURL(/\/inventory\/tags$/)
      await admin.waitForLoadState('networkidle')
    })

    await flow('SSH terminal', [admin], async () => {
      await admin.goto(`${base}/ssh/lab-box/127.0.0.1`)
      const screen = admin.locator('.xterm-rows')
      await screen.getByText('Connected.').waitFor()
      await admin.locator('.xterm').click()
      await admin.keyboard.type('echo terminal-$((40+2))\n')
      await screen.getByText('terminal-42').last().waitFor()
      await admin.locator('aside a[href="/dashboard"]').click()
      await admin.waitForURL(/\/dashboard$/)
    })

    await flow('audit log and profile', [admin], async () => {
      await admin.locator('aside a[href="/audit"]').click()
      await admin.waitForURL(/\/audit$/)
      await admin
        .getByText(/user\.invite|invite/i)
        .first()
        .waitFor()
      await admin.goto(`${base}/profile`)
      await admin.waitForLoadState('networkidle')
      await admin.goto(`${base}/costs`)
      await admin.waitForLoadState('networkidle')
    })

    await flow('log out', [admin, invitee], async () => {
      for (const page of [admin, invitee]) {
        const who = page === admin ? 'admin' : 'Invited Person'
        await page.locator('header button').filter({ hasText: who }).click()
        await page.getByRole('menuitem', { name: 'Logout' }).click()
        await page.waitForURL(/\/login$/)
        const stored = ((await page.evaluate("localStorage.getItem('cloudlab-auth')")) as string | null) ?? ''
        check(stored.includes('"token":null'), `stored after logout: ${stored}`)
      }
    })
  } finally {
    currentFlow = 'end'
    await browser?.close()
    server.child.kill('SIGTERM')
    await server.exited
    await smtp.close()
    await sshd.stop()
    await rm(root, { recursive: true, force: true })
  }

  for (const result of results) console.log(`${result.ok ? 'PASS' : 'FAIL'} ${result.flow}${result.error ? `: ${result.error}` : ''}`)
  console.log(
    problems.length ? `failed requests, console errors and error toasts (${problems.length}):` : 'failed requests, console errors and error toasts: none',
  )
  for (const problem of problems) console.log(`  [${problem.flow}] ${problem.what}`)
  for (const note of new Set(notes)) console.log(`note: ${note}`)
  process.exitCode = results.every((result) => result.ok) && problems.length === 0 ? 0 : 1
}

await main()
