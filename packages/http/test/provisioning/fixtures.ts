import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ansible, upcloud, vultr } from '@provisio/adapters'
import { startUpCloudStandIn, startVultrStandIn, type UpCloudStandIn, type VultrStandIn } from '@provisio/adapters/testing'
import type { Plugin } from '@provisio/engine'
import { expect } from 'vitest'
import { workspaces } from '../../src/workspaces'
import { startControlCenter, type RequestOptions, type TestServer } from '../helpers'

export interface ProvisioningTest extends TestServer {
  /** Calls the provisioning surface. */
  prov: TestServer['api']
  root: string
  vultrStandIn: VultrStandIn
  upcloudStandIn: UpCloudStandIn
  /** Waits until an operation leaves pending and running, and answers its final record. */
  settle: (id: string, token?: string) => Promise<any>
}

/**
 * Control-center and provisioning over one engine with the workspaces plugin, ansible, and the
 * Vultr and UpCloud stand-ins; workspaces under a fresh temporary root.
 */
export async function startProvisioning(options: Parameters<typeof startControlCenter>[0] & { plugins?: Plugin[] } = {}): Promise<ProvisioningTest> {
  const root = await mkdtemp(join(tmpdir(), 'provisio-prov-test-'))
  const vultrStandIn = await startVultrStandIn({ apiKey: 'vultr-key', port: 0, host: '127.0.0.1', readyAfterMs: 300, powerDelayMs: 50 })
  const upcloudStandIn = await startUpCloudStandIn({
    username: 'u',
    password: 'p',
    port: 0,
    host: '127.0.0.1',
    readyAfterMs: 200,
    startAfterMs: 50,
    stopAfterMs: 50,
  })
  const test = await startControlCenter({
    ...options,
    engine: {
      providers: [
        vultr({ apiKey: 'vultr-key', baseUrl: vultrStandIn.apiUrl, pollIntervalMs: 50, retries: 0 }),
        upcloud({ username: 'u', password: 'p', baseUrl: upcloudStandIn.apiUrl, pollIntervalMs: 50 }),
        ansible(),
      ],
      plugins: [workspaces({ root }), ...(options.plugins ?? [])],
    },
    server: { surfaces: ['control-center', 'provisioning'], ports: { 'control-center': 0, provisioning: 0 }, workspacesRoot: root, ...options.server },
  })
  const prov = test.apiAt('provisioning')
  const settle = async (id: string, token = test.adminToken) => {
    await test.engine.workflows.wait(id)
    const answer = await prov('GET', `/v1/operations/${id}`, { token })
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    return answer.body
  }
  return {
    ...test,
    prov,
    root,
    vultrStandIn,
    upcloudStandIn,
    settle,
    close: async () => {
      await test.close()
      await vultrStandIn.close()
      await upcloudStandIn.close()
      await rm(root, { recursive: true, force: true })
    },
  }
}

/** 002's error body and nothing else, with the status as `code`. */
export function expectProvisioningError(answer: { status: number; body: any }, status: number): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status)
  expect(Object.keys(answer.body).sort()).toEqual(['code', 'error', 'message'])
  expect(answer.body.code).toBe(String(status))
  expect(answer.body.error).toMatch(/^[A-Z_]+$/)
  expect(typeof answer.body.message).toBe('string')
  expect(answer.body.message).not.toBe('')
}

/** 002's operation record, exactly its keys. */
export function expectOperation(body: any, status?: string): void {
  expect(Object.keys(body).sort()).toEqual(['created_at', 'error', 'id', 'result', 'status', 'updated_at'])
  expect(['pending', 'running', 'completed', 'failed', 'cancelled']).toContain(body.status)
  if (status) expect(body.status, JSON.stringify(body)).toBe(status)
}

export type { RequestOptions }
