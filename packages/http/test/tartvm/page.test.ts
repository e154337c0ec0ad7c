import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { describeWithTool } from '../../../../test/helpers/system-tools'
import { macos, startTartvm, type TartvmServer } from './helpers'

const pageDir = fileURLToPath(new URL('./fixtures/page', import.meta.url))

describeWithTool('chromium')('tartvm web page (--tartvm-ui) in a real browser', () => {
  let browser: Browser
  let app: TartvmServer | undefined
  let page: Page

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
  })
  afterAll(async () => {
    await browser?.close()
  })
  afterEach(async () => {
    await page?.close()
    await app?.close()
    app = undefined
  })

  const row = (name: string) => page.locator(`tr[data-vm="${name}"]`)

  async function runTask(trigger: () => Promise<void>, title: string) {
    await trigger()
    await expect.poll(() => page.locator('#task-title').textContent()).toBe(title)
    await expect.poll(() => page.locator('#task-closed').textContent(), { timeout: 15_000 }).toBe('1000')
    return { status: await page.locator('#task-status').textContent(), logs: await page.locator('#task-logs').textContent() }
  }

  it('renders the page with its token, lists VMs with configs, and starts, stops, pulls, deletes and refreshes with live logs', async () => {
    app = await startTartvm({ fake: { ipAfterMs: 400, pullDurationMs: 600 }, surface: { ui: pageDir } })
    page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    page.on('dialog', (dialog) => void dialog.accept())
    const response = await page.goto(`${app.base}/`)
    expect(response?.status()).toBe(200)
    expect(await page.title()).toBe('VMs')
    // Evaluated in the page (strings: the repository's types have no DOM).
    expect(await page.evaluate('window.API_TOKEN')).toBe(app.token)
    expect(await page.evaluate("document.getElementById('icon').naturalWidth")).toBe(16)

    await expect.poll(() => page.locator('#base-images tr').count()).toBe(1)
    await expect.poll(() => row('ubuntu').locator('.memory').textContent()).toBe('4G')
    expect(await row(macos).locator('.disk').textContent()).toBe('50G')

    const started = await runTask(() => row('ubuntu').locator('button[data-action="start"]').click(), 'start ubuntu')
    expect(started.status).toBe('completed')
    expect(started.logs).toContain('$ tart run ubuntu --no-graphics --vnc')
    await expect.poll(() => row('ubuntu').getAttribute('data-status'), { timeout: 5_000 }).toBe('running')
    expect(await row('ubuntu').locator('.ip').textContent()).toMatch(/^192\.168\.64\./)

    const stopped = await runTask(() => row('ubuntu').locator('button[data-action="stop"]').click(), 'stop ubuntu')
    expect(stopped.status).toBe('completed')
    await expect.poll(() => row('ubuntu').getAttribute('data-status'), { timeout: 5_000 }).toBe('stopped')

    const image = 'ghcr.io/cirruslabs/ubuntu-runner:22.04'
    await page.fill('#oci-url', image)
    const pulled = await runTask(() => page.click('#pull-btn'), `pull ${image}`)
    expect(pulled.status).toBe('completed')
    expect(pulled.logs).toContain('100%')
    await expect.poll(() => page.locator('#base-images tr').count(), { timeout: 5_000 }).toBe(2)

    const deleted = await runTask(() => row(image).locator('button[data-action="delete"]').click(), `delete ${image}`)
    expect(deleted.status).toBe('completed')
    await expect.poll(() => row(image).count(), { timeout: 5_000 }).toBe(0)

    // A failing pull shows as failed in the live log, with tart's reason.
    await page.fill('#oci-url', 'not-a-registry-name')
    const failed = await runTask(() => page.click('#pull-btn'), 'pull not-a-registry-name')
    expect(failed.status).toBe('failed')
    expect(failed.logs).toContain('[stderr] tart pull failed with exit code 1: invalid remote name: not-a-registry-name')

    await page.click('#refresh-btn')
    await expect.poll(() => page.locator('#working-vms tr').count()).toBe(1)
    expect(await page.locator('#toast').textContent()).toBe('')
    expect(errors).toEqual([])
  })

  it('serves the static files and the icon, refuses paths out of the static folder, renders the token with tojson', async () => {
    app = await startTartvm({ surface: { ui: pageDir } })
    const css = await fetch(`${app.base}/static/css/page.css`)
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
    const icon = await fetch(`${app.base}/appicon.png`)
    expect(icon.headers.get('content-type')).toBe('image/png')
    for (const path of ['/static/../templates/base.html', '/static/%2e%2e/templates/base.html', '/static/js/missing.js']) {
      const answer = await fetch(`${app.base}${path}`)
      expect(answer.status, path).toBe(404)
    }
    const html = await (await fetch(`${app.base}/`)).text()
    expect(html).toContain(`window.API_TOKEN = "${app.token}";`)
    expect(html).toContain('<title>VMs</title>')
  })
})
