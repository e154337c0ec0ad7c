import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { upcloud } from '@provisio/adapters'
import { startUpCloudStandIn, type UpCloudStandIn } from '@provisio/adapters/testing'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { describeWithTool } from '../../../../test/helpers/system-tools'
import { workspaces } from '../../src/workspaces'
import { startOrchestrator } from '../helpers'
import { tempRoot } from '../workspaces/fixtures'

const run = promisify(execFile)
// Debian's python3, which the python3-requests package serves (another python3 may come first on PATH).
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
const sdk = join(import.meta.dirname, 'sdk')

/** 004's example infra: `production`, its settings in `config.k` (read as YAML). */
const settings = 'servers:\n  - { name: web-01, provider: upcloud, plan: 1xCPU-2GB, zone: de-fra1 }\n'

describeWithTool('python3-requests')("004's SDK examples against a real server", () => {
  let test: Awaited<ReturnType<typeof startOrchestrator>>
  let standIn: UpCloudStandIn
  let env: NodeJS.ProcessEnv

  // A fresh server per client: the second would otherwise find web-01 made by the first.
  beforeEach(async () => {
    const root = await tempRoot()
    await mkdir(join(root, 'default', 'production'), { recursive: true })
    await writeFile(join(root, 'default', 'production', 'config.k'), settings)
    standIn = await startUpCloudStandIn({ username: 'u', password: 'p', port: 0, host: '127.0.0.1', readyAfterMs: 100, startAfterMs: 50, stopAfterMs: 50 })
    test = await startOrchestrator({
      engine: { providers: [upcloud({ username: 'u', password: 'p', baseUrl: standIn.apiUrl, pollIntervalMs: 50 })], plugins: [workspaces({ root })] },
      server: { workspacesRoot: root },
    })
    env = { ...process.env, BASE_URL: test.orchestratorBase, TOKEN: test.adminToken }
  })
  afterEach(async () => {
    await test.close()
    await standIn.close()
  })

  async function expectServerCreated(stdout: string) {
    const id = /^Task ID: (\S+)$/m.exec(stdout)?.[1]
    expect(id, stdout).toBeDefined()
    expect(stdout).toMatch(/^Status: (Pending|Running|Completed)$/m)
    const done = await test.engine.workflows.wait(id!)
    expect(done.status).toBe('completed')
    expect([...standIn.state.servers.values()].map((server: any) => server.title)).toContain('web-01')
  }

  it('the Python requests client submits a server workflow and reads its task', async () => {
    const { stdout } = await run(python, [join(sdk, 'client.py')], { env })
    await expectServerCreated(stdout)
  })

  it('the JavaScript axios client submits a server workflow and reads its task', async () => {
    const source = await readFile(join(sdk, 'client.cjs'), 'utf8')
    const module = `import { createRequire } from 'node:module'\nconst require = createRequire(${JSON.stringify(join(sdk, 'client.cjs'))})\n${source}`
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', module], { env })
    await expectServerCreated(stdout)
  })
})
