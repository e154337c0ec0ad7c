import { defineProvider, definePlugin } from '@provisio/engine'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { registerServerDriver } from '../../src/workspaces'
import { expectOperation, startProvisioning, type ProvisioningTest } from './fixtures'

/** A plugin's own cloud: machines kept in a map, created, listed and deleted by its actions. */
function acmeCloud() {
  const machines = new Map<string, { id: string; name: string; size: string; ip: string; state: string }>()
  const provider = defineProvider({
    name: 'acme',
    description: 'Machines of the Acme cloud',
    actions: {
      'machine.create': {
        description: 'Create a machine',
        input: z.object({ name: z.string(), size: z.string() }),
        async run(_ctx, input) {
          const machine = { id: `acme-${machines.size + 1}`, name: input.name, size: input.size, ip: `198.51.100.${machines.size + 1}`, state: 'up' }
          machines.set(machine.id, machine)
          return machine
        },
      },
      'machine.delete': {
        description: 'Delete a machine',
        input: z.object({ id: z.string() }),
        async run(_ctx, input) {
          return { deleted: machines.delete(input.id) }
        },
      },
      'machine.list': {
        description: 'List machines',
        input: z.object({}),
        async run() {
          return [...machines.values()]
        },
      },
    },
  })
  const plugin = definePlugin({
    name: 'acme',
    setup(engine) {
      engine.addProvider(provider)
      registerServerDriver({
        provider: 'acme',
        createSteps: (server) => [
          { action: 'machine.create', input: { name: server.name, size: server.plan }, describe: `acme machine.create (size ${server.plan})` },
        ],
        identify: (result) => ({ providerId: (result as { id: string }).id, ip: (result as { ip: string }).ip }),
        deleteSteps: (id) => [{ action: 'machine.delete', input: { id } }],
        listStep: { action: 'machine.list', input: {} },
        liveState: (listed, id) => {
          const machine = (listed as { id: string; state: string; ip: string }[]).find((each) => each.id === id)
          return machine ? { status: machine.state === 'up' ? 'running' : machine.state, ip: machine.ip } : undefined
        },
      })
    },
  })
  return { plugin, machines }
}

describe("provisioning surface: servers through a plugin's provider", () => {
  let t: ProvisioningTest
  const acme = acmeCloud()

  beforeAll(async () => {
    t = await startProvisioning({ plugins: [acme.plugin] })
  })
  afterAll(() => t.close())

  it('creates, lists and deletes a server with a provider a plugin registered a server driver for', async () => {
    const created = await t.prov('POST', '/v1/servers/create', { token: t.adminToken, body: { provider: 'acme', plan: 'small', hostname: 'app-1' } })
    expect(created.status, JSON.stringify(created.body)).toBe(200)
    const done = await t.settle(created.body.id)
    expectOperation(done, 'completed')
    expect(done.result).toEqual({ server_id: 'acme-1', hostname: 'app-1', provider: 'acme', ip_address: '198.51.100.1' })
    expect((await t.prov('GET', '/v1/servers?provider=acme', { token: t.adminToken })).body).toEqual([
      expect.objectContaining({ id: 'acme-1', hostname: 'app-1', plan: 'small', status: 'running', ip_address: '198.51.100.1' }),
    ])
    const deleted = await t.prov('DELETE', '/v1/servers/acme-1', { token: t.adminToken })
    expectOperation(await t.settle(deleted.body.id), 'completed')
    expect(acme.machines.size).toBe(0)
  })

  it('documents its routes in /openapi.json', async () => {
    const document = await t.prov('GET', '/openapi.json')
    expect(document.status).toBe(200)
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining(['/v1/servers/create', '/v1/servers/{id}', '/v1/operations/{id}/cancel', '/health']),
    )
  })
})
