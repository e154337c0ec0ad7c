import { upcloud, vultr } from '@provisio/adapters'
import { startUpCloudStandIn, startVultrStandIn, type UpCloudStandIn, type VultrStandIn } from '@provisio/adapters/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectEnvelopeError, startOrchestrator } from '../helpers'
import { demoProvider } from './fixtures'

describe('orchestrator /batch/execute server batches on the provider stand-ins', () => {
  let test: Awaited<ReturnType<typeof startOrchestrator>>
  let upcloudStandIn: UpCloudStandIn
  let vultrStandIn: VultrStandIn

  beforeAll(async () => {
    upcloudStandIn = await startUpCloudStandIn({
      username: 'u',
      password: 'p',
      port: 0,
      host: '127.0.0.1',
      readyAfterMs: 100,
      startAfterMs: 50,
      stopAfterMs: 50,
    })
    vultrStandIn = await startVultrStandIn({ apiKey: 'vultr-key', port: 0, host: '127.0.0.1', readyAfterMs: 100, powerDelayMs: 50 })
    test = await startOrchestrator({
      engine: {
        providers: [
          upcloud({ username: 'u', password: 'p', baseUrl: upcloudStandIn.apiUrl, pollIntervalMs: 50 }),
          vultr({ apiKey: 'vultr-key', baseUrl: vultrStandIn.apiUrl, pollIntervalMs: 50, retries: 0 }),
          demoProvider(),
        ],
      },
    })
  })
  afterAll(async () => {
    await test.close()
    await upcloudStandIn.close()
    await vultrStandIn.close()
  })

  it("runs 004's example server batch: each server_config created through the provider, dependents after", async () => {
    const answer = await test.orchestrator('POST', '/batch/execute', {
      token: test.adminToken,
      body: {
        name: 'multi_cloud_deployment',
        version: '1.0.0',
        storage_backend: 'surrealdb',
        parallel_limit: 5,
        rollback_enabled: true,
        operations: [
          {
            id: 'upcloud_servers',
            type: 'server_batch',
            provider: 'upcloud',
            dependencies: [],
            server_configs: [
              { name: 'web-01', plan: '1xCPU-2GB', zone: 'de-fra1' },
              { name: 'web-02', plan: '1xCPU-2GB', zone: 'us-nyc1' },
            ],
          },
          { id: 'vultr_servers', type: 'server_batch', provider: 'vultr', server_configs: [{ name: 'db-01', plan: 'vc2-1c-1gb', zone: 'ewr', os_id: 2136 }] },
          {
            id: 'taskservs',
            type: 'taskserv_batch',
            provider: 'demo',
            action: 'echo',
            dependencies: ['upcloud_servers', 'vultr_servers'],
            taskservs: ['kubernetes', 'cilium'],
          },
        ],
      },
    })
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    const id = answer.body.data.batch_id
    await test.engine.workflows.wait(id)
    const done = (await test.orchestrator('GET', `/batch/operations/${id}`, { token: test.adminToken })).body.data
    expect(done.status).toBe('Completed')
    expect([...upcloudStandIn.state.servers.values()].map((server: any) => server.title).sort()).toEqual(['web-01', 'web-02'])
    expect([...vultrStandIn.state.instances.values()].map((instance: any) => instance.label)).toEqual(['db-01'])
    const servers = done.operations.find((operation: any) => operation.id === 'upcloud_servers')
    expect(servers.results.map((server: any) => server.zone).sort()).toEqual(['de-fra1', 'us-nyc1'])
    expect(done.operations.find((operation: any) => operation.id === 'taskservs').results).toEqual([{ made: 'demo#"kubernetes"' }, { made: 'demo#"cilium"' }])
  })

  it('deletes the servers it created when a later operation fails and rollback is enabled', async () => {
    upcloudStandIn.state.servers.clear()
    const answer = await test.orchestrator('POST', '/batch/execute', {
      token: test.adminToken,
      body: {
        name: 'doomed-servers',
        rollback_enabled: true,
        operations: [
          { id: 'servers', type: 'server_batch', provider: 'upcloud', server_configs: [{ name: 'tmp-01', plan: '1xCPU-2GB', zone: 'de-fra1' }] },
          { id: 'broken', provider: 'demo', action: 'echo', input: { fail: true }, dependencies: ['servers'] },
        ],
      },
    })
    const id = answer.body.data.batch_id
    const finished = await test.engine.workflows.wait(id)
    expect(finished.status).toBe('rolled_back')
    expect(finished.rollback).toMatchObject({ success: true, operationsExecuted: 1 })
    expect([...upcloudStandIn.state.servers.values()]).toEqual([])
  })

  it('refuses a server_batch it cannot create, and bad server configs, before creating anything', async () => {
    const cases: [unknown, RegExp][] = [
      [
        { id: 'x', type: 'server_batch', provider: 'aws', server_configs: [{ name: 'a', plan: 'p', zone: 'z' }] },
        /creates servers with vultr, upcloud, tart, not "aws"/,
      ],
      [{ id: 'x', type: 'server_batch', provider: 'upcloud' }, /lists its servers in "server_configs"/],
      [{ id: 'x', type: 'server_batch', provider: 'upcloud', server_configs: [{ plan: 'p' }] }, /server_configs\.0\.name/],
      [{ id: 'x', type: 'taskserv_batch', provider: 'demo', taskservs: ['k8s'] }, /give the provider action to run/],
    ]
    for (const [operation, message] of cases) {
      const answer = await test.orchestrator('POST', '/batch/execute', { token: test.adminToken, body: { name: 'bad', operations: [operation] } })
      expect(answer.status).toBe(422)
      expectEnvelopeError(answer.body)
      expect(answer.body.error).toMatch(message)
    }
  })
})
